"""Intake, routing, the lifecycle state machine, sign-off and replies (major faults:
test_outages.py)."""

import base64
import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from utilitydesk.cases import services
from utilitydesk.cases.models import Case, CaseEvent, Contact, Status
from utilitydesk.cases.services import ContactInput, Resolution
from utilitydesk.knowledge.models import Entry
from utilitydesk.notifications.models import Message

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SIGNATURE = "data:image/png;base64," + base64.b64encode(PNG).decode()


def repair(people, customers, **kw) -> Case:
    data = ContactInput(
        channel="phone", kind="repair", content="暖气不热", customer_id=customers["east"].pk, **kw
    )
    return services.create_contact(data, actor=people["agent"]).case


def test_a_repair_call_opens_a_numbered_case_routed_to_the_premises_station(people, customers, org):
    case = repair(people, customers)
    local_day = timezone.localtime().strftime("%Y%m%d")
    assert re.fullmatch(rf"GD{local_day}\d{{4}}", case.number)
    assert case.status == Status.DISPATCHED and case.responsible_unit == org["east"]
    assert case.first_responder == people["agent"] and case.caller_phone == "13812345678"
    assert [e.action for e in case.events.order_by("seq")] == ["registered", "dispatched"]
    assert Contact.objects.get().case == case


def test_numbers_are_sequential_per_day(people, customers):
    first = repair(people, customers, allow_duplicate=True)
    second = repair(people, customers, allow_duplicate=True)
    assert int(second.number[-4:]) == int(first.number[-4:]) + 1


def test_complaints_go_to_the_service_centre(people, customers, org):
    data = ContactInput(
        channel="phone", kind="complaint", content="服务态度差", customer_id=customers["east"].pk
    )
    assert (
        services.create_contact(data, actor=people["agent"]).case.responsible_unit == org["centre"]
    )


def test_future_received_time_is_refused(people, customers):
    data = ContactInput(
        channel="letter",
        kind="repair",
        content="x",
        customer_id=customers["east"].pk,
        received_at=timezone.now() + timedelta(hours=1),
    )
    with pytest.raises(ValidationError) as error:
        services.create_contact(data, actor=people["agent"])
    assert "未来" in error.value.message_dict["received_at"][0]


def test_letters_may_be_backdated_calls_may_not(people, customers):
    earlier = timezone.now() - timedelta(days=3)
    letter = ContactInput(
        channel="letter",
        kind="suggestion",
        content="建议",
        customer_id=customers["east"].pk,
        received_at=earlier,
    )
    assert services.create_contact(letter, actor=people["agent"]).case.received_at == earlier
    call = ContactInput(
        channel="phone",
        kind="suggestion",
        content="建议",
        customer_id=customers["east"].pk,
        received_at=earlier,
        allow_duplicate=True,
    )
    with pytest.raises(ValidationError) as error:
        services.create_contact(call, actor=people["agent"])
    assert "received_at" in error.value.message_dict


def test_unknown_customer_and_unknown_caller_without_details(people):
    with pytest.raises(ValidationError) as error:
        services.create_contact(
            ContactInput(channel="phone", kind="repair", content="x", customer_id=999999),
            actor=people["agent"],
        )
    assert "客户不存在" in str(error.value.message_dict["customer_id"])
    with pytest.raises(ValidationError) as error:
        services.create_contact(
            ContactInput(channel="phone", kind="repair", content="x"), actor=people["agent"]
        )
    assert set(error.value.message_dict) == {"caller_name", "caller_phone"}


def test_unknown_caller_is_recorded_with_name_and_phone(people, org):
    data = ContactInput(
        channel="wechat",
        kind="repair",
        content="楼道漏水",
        caller_name="路人",
        caller_phone="139 0000 2222",
    )
    case = services.create_contact(data, actor=people["agent"]).case
    assert case.customer is None and case.caller_phone == "13900002222"
    # No premises and no repair department in this company: the dispatcher decides.
    assert case.status == Status.REGISTERED and case.responsible_unit is None
    from tests.factories import staff
    from utilitydesk.cases.selectors import dispatch_queue
    from utilitydesk.org.models import Position

    assert list(dispatch_queue(staff("dispatcher", Position.DISPATCHER, org["centre"]))) == [case]


def test_consultation_answered_on_the_spot_records_the_knowledge_entry(people, customers):
    entry = Entry.objects.create(question="供暖期从哪天开始？", answer="每年11月15日开始供暖。")
    data = ContactInput(
        channel="phone",
        kind="consultation",
        content="哪天开始供暖",
        customer_id=customers["east"].pk,
        answer=entry.answer,
        knowledge_entry_id=entry.pk,
    )
    contact = services.create_contact(data, actor=people["agent"])
    assert contact.closed_on_spot and contact.case is None and contact.knowledge_entry == entry
    entry.refresh_from_db()
    assert entry.used_count == 1
    assert not Case.objects.exists()


def test_forbidden_phrase_in_an_answer_is_refused(people, customers):
    data = ContactInput(
        channel="phone",
        kind="consultation",
        content="为什么",
        customer_id=customers["east"].pk,
        answer="这是规定, 就不行!",
    )
    with pytest.raises(ValidationError) as error:
        services.create_contact(data, actor=people["agent"])
    assert "服务忌语" in error.value.message_dict["answer"][0]
    assert not Contact.objects.exists()


def test_likely_duplicate_is_warned_and_can_be_linked_instead(people, customers):
    first = repair(people, customers)
    with pytest.raises(services.DuplicateWarning) as warning:
        repair(people, customers)
    assert warning.value.cases == [first]
    data = ContactInput(
        channel="phone",
        kind="repair",
        content="还是不热",
        customer_id=customers["east"].pk,
        link_to_case=first.number,
    )
    contact = services.create_contact(data, actor=people["agent"])
    assert contact.case == first and Case.objects.count() == 1
    assert first.events.order_by("-seq").first().action == "contact_added"


def test_the_field_visit_from_accept_to_signed_resolution(people, customers):
    case = repair(people, customers)
    tech = people["tech"]
    services.accept(case.number, actor=tech)
    soon = timezone.now() + timedelta(hours=2)
    services.book(case.number, soon, actor=tech)
    services.not_home(case.number, "门上留了联系条", soon + timedelta(days=1), actor=tech)
    services.arrive(case.number, actor=tech)
    with pytest.raises(ValidationError) as error:
        services.resolve(case.number, Resolution(work_done="更换阀门"), actor=tech)
    assert "签字" in error.value.message_dict["signoff"][0]
    services.resolve(
        case.number,
        Resolution(
            work_done="更换阀门",
            materials=[{"name": "阀门", "quantity": 1, "unit": "个"}],
            signature_png=services.decode_signature(SIGNATURE),
        ),
        actor=tech,
    )
    case.refresh_from_db()
    assert (
        case.status == Status.RESOLVED
        and case.signoff == "signature"
        and case.signature.name.endswith(".png")
    )
    actions = list(case.events.order_by("seq").values_list("seq", "action"))
    assert actions == [
        (1, "registered"),
        (2, "dispatched"),
        (3, "accept"),
        (4, "book"),
        (5, "not_home"),
        (6, "arrive"),
        (7, "resolve"),
    ]
    not_home = case.events.get(action="not_home")
    assert not_home.note == "门上留了联系条" and not_home.data["missed"]


def test_confirmation_code_as_sign_off(people, customers, settings):
    from utilitydesk.notifications.backends import MemoryBackend

    settings.NOTIFICATION_BACKENDS = {
        **settings.NOTIFICATION_BACKENDS,
        "sms": "utilitydesk.notifications.backends.MemoryBackend",
    }
    MemoryBackend.sent.clear()
    case = repair(people, customers)
    tech = people["tech"]
    services.accept(case.number, actor=tech)
    services.arrive(case.number, actor=tech)
    services.send_signoff_code(case.number, actor=tech)
    sms = Message.objects.get(channel="sms")
    assert sms.address == "13812345678" and "******" in sms.body  # the code: gateway only
    code = re.search(r"(?<!\d)\d{6}(?!\d)", MemoryBackend.sent[-1]["text"]).group()
    with pytest.raises(ValidationError):
        services.confirm_signoff_code(
            case.number, "000000" if code != "000000" else "111111", actor=tech
        )
    assert case.signoff_codes.get().attempts == 1  # the wrong try is counted
    services.confirm_signoff_code(case.number, code, actor=tech)
    services.resolve(case.number, Resolution(work_done="排气"), actor=tech)
    assert Case.objects.get(pk=case.pk).signoff == "code"


def test_supervisor_exemption_allows_resolution_without_signature(people, customers):
    case = repair(people, customers)
    services.accept(case.number, actor=people["tech"])
    services.arrive(case.number, actor=people["tech"])
    with pytest.raises(PermissionDenied):
        services.exempt_signoff(case.number, "客户不在", actor=people["tech"])
    services.exempt_signoff(case.number, "客户出差，电话确认", actor=people["head_east"])
    case = services.resolve(case.number, Resolution(work_done="修好"), actor=people["tech"])
    assert case.signoff == "supervisor" and case.signoff_by == people["head_east"]


def test_illegal_transitions_are_refused_with_a_clear_message(people, customers):
    case = repair(people, customers)
    with pytest.raises(ValidationError) as error:
        services.arrive(case.number, actor=people["tech"])
    assert "已派单" in error.value.message_dict["status"][0]
    with pytest.raises(ValidationError):
        services.close(case.number, actor=people["agent"])
    assert Case.objects.get(pk=case.pk).last_event_seq == 2


def test_other_station_cannot_accept(people, customers, org):
    from tests.factories import staff
    from utilitydesk.org.models import Position

    west_tech = staff("west_tech", Position.TECHNICIAN, org["west"])
    case = repair(people, customers)
    with pytest.raises(PermissionDenied):
        services.accept(case.number, actor=west_tech)


def test_only_the_assignee_books(people, customers, org):
    from tests.factories import staff
    from utilitydesk.org.models import Position

    other = staff("tech2", Position.TECHNICIAN, org["east_team"])
    case = repair(people, customers)
    services.accept(case.number, actor=people["tech"])
    with pytest.raises(PermissionDenied):
        services.book(case.number, timezone.now() + timedelta(hours=1), actor=other)


def test_stale_screen_gets_a_conflict_not_a_silent_overwrite(people, customers):
    case = repair(people, customers)
    seen_version = Case.objects.get(pk=case.pk).version
    services.accept(case.number, actor=people["tech"], expected_version=seen_version)
    with pytest.raises(services.ConflictError) as error:
        services.return_case(
            case.number, "不归我们", actor=people["head_east"], expected_version=seen_version
        )
    assert "tech" in str(error.value)


def test_customer_side_fault_needs_explanation_and_consent_for_paid_service(people, customers):
    case = repair(people, customers)
    services.accept(case.number, actor=people["tech"])
    services.arrive(case.number, actor=people["tech"])
    sig = services.decode_signature(SIGNATURE)
    with pytest.raises(ValidationError) as error:
        services.resolve(
            case.number,
            Resolution(work_done="户内阀门坏", customer_side_fault=True, signature_png=sig),
            actor=people["tech"],
        )
    assert "explanation" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.resolve(
            case.number,
            Resolution(
                work_done="户内阀门坏",
                customer_side_fault=True,
                explanation="户内阀门老化，需更换",
                paid_service_handover=True,
                signature_png=sig,
            ),
            actor=people["tech"],
        )
    case = services.resolve(
        case.number,
        Resolution(
            work_done="户内阀门坏",
            customer_side_fault=True,
            explanation="户内阀门老化，需更换",
            paid_service_handover=True,
            customer_consents_to_paid_service=True,
            signature_png=sig,
        ),
        actor=people["tech"],
    )
    assert case.paid_service_handover
    assert Message.objects.filter(recipient=people["head_east"], channel="inbox").exists()


def test_return_redispatch_reopen_cancel(people, customers, org):
    from tests.factories import staff
    from utilitydesk.org.models import Position

    dispatcher = staff("dispatcher", Position.DISPATCHER, org["centre"])
    case = repair(people, customers)
    services.return_case(case.number, "不是供热问题", actor=people["head_east"])
    with pytest.raises(ValidationError):
        services.dispatch(case.number, actor=dispatcher, unit_id=org["west"].pk, redispatch=True)
    case = services.dispatch(case.number, actor=dispatcher, unit_id=org["west"].pk)
    assert case.responsible_unit == org["west"] and case.status == Status.DISPATCHED
    case = services.cancel(case.number, "客户自行解决", actor=people["agent"])
    assert case.status == Status.CANCELLED
    with pytest.raises(ValidationError):
        services.reopen(case.number, "x", actor=people["agent"])


def test_reply_refuses_forbidden_phrases_and_sends_polite_ones(people, customers):
    case = repair(people, customers)
    with pytest.raises(ValidationError) as error:
        services.reply_to_customer(case.number, "你问我，我问谁？", actor=people["agent"])
    assert "服务忌语" in error.value.message_dict["text"][0]
    assert not Message.objects.exists()
    services.reply_to_customer(
        case.number, "维修人员今天下午上门，请保持电话畅通。", actor=people["agent"]
    )
    assert Message.objects.get(channel="sms").address == "13812345678"


def test_timeline_sequence_has_no_gaps(people, customers):
    case = repair(people, customers)
    services.add_note(case.number, "客户很着急", actor=people["agent"])
    services.accept(case.number, actor=people["tech"])
    seqs = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_unit_queue_puts_the_nearest_deadline_first(people, customers):
    from tests.factories import open_case
    from utilitydesk.cases.selectors import unit_queue

    earlier = timezone.now() - timedelta(minutes=30)
    # Received first, but a temperature visit may wait 24 hours; the repair is due in 1 hour.
    measurement = open_case(people["agent"], customers["east"], kind="temperature", now=earlier)
    repair = open_case(people["agent"], customers["east"], kind="repair")
    queue = list(unit_queue(people["head_east"]))
    assert queue.index(repair) < queue.index(measurement)
    assert queue[0].next_due <= queue[-1].next_due


def test_case_search_finds_by_number_phone_account_and_address_fragment(people, customers):
    from tests.factories import open_case
    from utilitydesk.cases.selectors import CaseFilters, search_cases

    known = open_case(people["agent"], customers["east"])
    stranger = services.create_contact(
        ContactInput(
            channel="phone",
            kind="repair",
            content="路边管道漏水",
            caller_name="路人",
            caller_phone="13900002222",
        ),
        actor=people["agent"],
    ).case
    # A caller with no account: the agent types where the fault is.
    stranger.address_text = "滨河路88号门口"
    stranger.save(update_fields=["address_text"])

    def found(q: str) -> set[str]:
        return {c.number for c in search_cases(people["office"], CaseFilters(q=q))}

    building = customers["east"].premises.first().address_text
    assert found(known.number) == {known.number}
    assert found("13900002222") == {stranger.number}
    assert known.number in found(customers["east"].account_no)
    assert known.number in found(building[3:-4]) and stranger.number not in found(building[3:-4])
    assert found("滨河路88") == {stranger.number}
    assert found("没有这个地址") == set()
