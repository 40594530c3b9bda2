import logging

from .masking import mask_phones_in_text


class MaskPhoneNumbers(logging.Filter):
    """Masks phone numbers in every log line (request lines carry search terms)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_phones_in_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        # The one-line request record (kernel/observability.py): a path can name a phone.
        http = getattr(record, "http", None)
        if isinstance(http, dict) and isinstance(http.get("path"), str):
            record.http = {**http, "path": mask_phones_in_text(http["path"])}
        return True
