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
            return services.dispatch(number, d.get("unit_id"), note, v, actor=user)
        case "redispatch":
            return services.dispatch(number, d.get("unit_id"), note, v, actor=user, redispatch=True)
        case "return":
            return services.return_case(number, note, v, actor=user)
        case "accept":
            return services.accept(number, d.get("assignee_id"), v, actor=user)
        case "assign":
            return services.assign(number, d.get("assignee_id") or 0, v, actor=user)
        case "call_customer":
            return services.call_customer(number, note, v, actor=user)
        case "book":
            return services.book(number, at, note, v, actor=user)
        case "not_home":
            return services.not_home(number, note, at, v, actor=user)
        case "wait_for_customer":
            return services.wait_for_customer(number, note, v, actor=user)
        case "resume":
            return services.resume(number, note, v, actor=user)
        case "arrive":
            return services.arrive(number, v, actor=user)
        case "exempt_signoff":
            return services.exempt_signoff(number, note, v, actor=user)
        case "send_signoff_code":
            services.send_signoff_code(number, actor=user)
            return None
        case "confirm_signoff_code":
            return services.confirm_signoff_code(number, d.get("code", ""), actor=user)
        case "resolve":
            signature = d.get("signature") or ""
            return services.resolve(
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
                actor=user,
            )
        case "record_callback":
            return services.record_callback(number, note, v, actor=user)
        case "close":
            return services.close(number, note, v, actor=user)
        case "reopen":
            return services.reopen(number, note, v, actor=user)
        case "cancel":
            return services.cancel(number, note, v, actor=user)
        case "note":
            return services.add_note(number, note, actor=user)
        case "reply":
            return services.reply_to_customer(
                number, d.get("text", ""), actor=user, phrase_id=d.get("phrase_id")
            )
    raise UnknownAction(action)
