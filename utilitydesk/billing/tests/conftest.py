"""The outages fixtures (a network with a substation and its households) for bills with
interruptions."""

from utilitydesk.outages.tests.conftest import net  # noqa: F401
