"""Several people (or workers) at the same moment: each function runs in a thread of its
own, all released together by a barrier, each with its own database connection."""

import threading

from django.db import connection


def run_together(functions, *, refused: tuple[type[BaseException], ...] = (), timeout: float = 120):
    """[(outcome, value)] per function, in order: ("ok", its result), ("refused", an
    exception of ``refused`` — what a person is told) or ("crash", any other exception —
    a bug the test must show)."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def runner(index, function):
        try:
            barrier.wait()
            results[index] = ("ok", function())
        except refused as exc:
            results[index] = ("refused", exc)
        except Exception as exc:  # anything else is a bug the test must show
            results[index] = ("crash", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
