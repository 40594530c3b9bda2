"""Lifecycle actions by name: the one mapping from an action name and its input to the
service function, shared by the web pages and the API."""

from datetime import datetime

from . import services

API_ACTIONS = [
    "dispatch",
    "redispatch",
    "return",
    "accept",
    "assign",
    "call_customer",
    "book",
    "not_home",
    "wait_for_customer",
    "resume",
    "arrive",
    "exempt_signoff",
    "send_signoff_code",
    "confirm_signoff_code",
    "resolve",
    "record_callback",
    "close",
    "reopen",
    "cancel",
    "note",
    "reply",
]


class UnknownAction(Exception):
    pass


def perform_action(user, number: str, action: str, d: dict):
    """Run one lifecycle action by name with already-validated input (web form or API body)."""
    v = d.get("expected_version")
    note = d.get("note", "")
    at: datetime | None = d.get("appointment_at")
    match action:
        case "dispatch":
            return services.dispatch(user, number, d.get("unit_id"), note, v)
        case "redispatch":
            return services.dispatch(user, number, d.get("unit_id"), note, v, redispatch=True)
        case "return":
            return services.return_case(user, number, note, v)
        case "accept":
            return services.accept(user, number, d.get("assignee_id"), v)
        case "assign":
            return services.assign(user, number, d.get("assignee_id") or 0, v)
        case "call_customer":
            return services.call_customer(user, number, note, v)
        case "book":
            return services.book(user, number, at, note, v)
        case "not_home":
            return services.not_home(user, number, note, at, v)
        case "wait_for_customer":
            return services.wait_for_customer(user, number, note, v)
        case "resume":
            return services.resume(user, number, note, v)
        case "arrive":
            return services.arrive(user, number, v)
        case "exempt_signoff":
            return services.exempt_signoff(user, number, note, v)
        case "send_signoff_code":
            services.send_signoff_code(user, number)
            return None
        case "confirm_signoff_code":
            return services.confirm_signoff_code(user, number, d.get("code", ""))
        case "resolve":
            signature = d.get("signature") or ""
            return services.resolve(
                user,
                number,
                services.Resolution(
                    work_done=d.get("work_done", ""),
                    materials=d.get("materials", []),
                    customer_side_fault=d["customer_side_fault"],
                    explanation=d.get("explanation", ""),
                    paid_service_handover=d["paid_service_handover"],
                    customer_consents_to_paid_service=d["customer_consents_to_paid_service"],
                    signature_png=services.decode_signature(signature) if signature else None,
                ),
                v,
            )
        case "record_callback":
            return services.record_callback(user, number, note, v)
        case "close":
            return services.close(user, number, note, v)
        case "reopen":
            return services.reopen(user, number, note, v)
        case "cancel":
            return services.cancel(user, number, note, v)
        case "note":
            return services.add_note(user, number, note)
        case "reply":
            return services.reply_to_customer(
                user, number, d.get("text", ""), phrase_id=d.get("phrase_id")
            )
    raise UnknownAction(action)
