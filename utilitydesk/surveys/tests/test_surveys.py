"""Satisfaction surveys (R-605): stratified sample, one-time signed links, the report."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from tests.factories import BuildingFactory, CommunityFactory, DistrictFactory, make_customer
from utilitydesk.surveys import selectors, services
from utilitydesk.surveys.models import Member

pytestmark = pytest.mark.django_db


def test_proportional_allocation_adds_up_exactly():
    assert services.allocate({"a": 60, "b": 30, "c": 10}, 10) == {"a": 6, "b": 3, "c": 1}
    parts = services.allocate({"a": 7, "b": 7, "c": 7}, 10)
    assert sum(parts.values()) == 10 and max(parts.values()) - min(parts.values()) <= 1
    assert services.allocate({"a": 2, "b": 1}, 50) == {"a": 2, "b": 1}  # never more than exists


@pytest.fixture
def town(area):
    west = BuildingFactory(
        community=CommunityFactory(district=DistrictFactory(name="西城区"), name="西苑"),
        name="1号楼",
    )
    people = []
    for i in range(6):
        people.append(make_customer(area["east"], f"{800 + i}", phones=(f"1390001{i:04d}",)))
    for i in range(3):
        people.append(
            make_customer(
                west, f"{900 + i}", phones=(f"1390002{i:04d}",), customer_type="commercial"
            )
        )
    return people


def test_sample_is_stratified_and_reproducible(people, town):
    survey = services.create_survey("2026供暖季满意度调查", 6, actor=people["office"], seed="abc")
    from collections import Counter

    from utilitydesk.customers.models import Customer

    population = Counter(
        services.stratum_of(c.premises.first().building.community.district.name, c.customer_type)
        for c in Customer.objects.all()
    )
    drawn = Counter(Member.objects.filter(survey=survey).values_list("stratum", flat=True))
    expected = {k: v for k, v in services.allocate(dict(population), 6).items() if v}
    assert dict(drawn) == expected and sum(drawn.values()) == 6
    assert len(expected) >= 2  # more than one stratum represented
    again = services.create_survey("再抽一次", 6, actor=people["office"], seed="abc")
    first = sorted(survey.members.values_list("customer_id", flat=True))
    second = sorted(again.members.values_list("customer_id", flat=True))
    assert first == second
    with pytest.raises(PermissionDenied):
        services.create_survey("x", 3, actor=people["agent"])


def test_online_link_works_once_and_refuses_reuse_tampering_and_expiry(people, town, client):
    survey = services.create_survey("调查", 3, actor=people["office"], seed="s")
    member = survey.members.first()
    token = services.link_token(member)
    page = client.get(f"/s/{token}/")
    assert page.status_code == 200 and "供热质量" in page.content.decode()
    answers = {f"q{q.pk}": ("5" if q.is_score else "很好") for q in survey.questions.all()}
    done = client.post(f"/s/{token}/", answers)
    assert "感谢" in done.content.decode()
    assert client.get(f"/s/{token}/").status_code == 410
    assert client.post(f"/s/{token}/", answers).status_code == 410
    other = survey.members.exclude(pk=member.pk).first()
    forged = services.link_token(other)[:-3] + "abc"
    assert client.get(f"/s/{forged}/").status_code == 400
    assert (
        client.get(
            f"/s/{services.link_token(other).replace(str(other.pk), str(member.pk), 1)}/"
        ).status_code
        == 400
    )
    survey.link_valid_days = 0
    survey.save()
    import time

    time.sleep(1.1)
    assert client.get(f"/s/{services.link_token(other)}/").status_code in (400, 410)


def test_scores_must_be_one_to_five(people, town):
    survey = services.create_survey("调查", 2, actor=people["office"], seed="s")
    member = survey.members.first()
    with pytest.raises(ValidationError):
        services.record_answers(member.pk, {q.pk: "9" for q in survey.questions.all()}, "online")
    with pytest.raises(PermissionDenied):
        services.record_answers(member.pk, {}, "phone", actor=people["tech"])


def test_report_matches_a_hand_computed_fixture(people, town):
    survey = services.create_survey("调查", 4, actor=people["office"], seed="fixture")
    members = list(survey.members.order_by("pk"))
    questions = list(survey.questions.order_by("position"))
    score_questions = [q for q in questions if q.is_score]
    comment = questions[-1]
    given = [[5, 4, 3, 2], [3, 4, 5, 4]]  # two answered, two not
    for member, scores in zip(members, given, strict=False):
        answers = {q.pk: str(s) for q, s in zip(score_questions, scores, strict=True)}
        answers[comment.pk] = f"意见{member.pk}"
        services.record_answers(member.pk, answers, "phone", actor=people["office"])
    report = selectors.report(survey)
    assert report.sample == 4 and report.responses == 2 and report.response_rate == 0.5
    assert report.topic_scores == {
        "heating_quality": 4.0,
        "staff_attitude": 4.0,
        "repair_efficiency": 4.0,
        "fee_collection": 3.0,
    }
    per_stratum = {r["stratum"]: (r["sample"], r["responses"]) for r in report.strata}
    assert (
        sum(s for s, _ in per_stratum.values()) == 4
        and sum(r for _, r in per_stratum.values()) == 2
    )
    assert sorted(report.comments) == sorted(f"意见{m.pk}" for m in members[:2])
    stream = io.BytesIO()
    selectors.report_xlsx(survey, stream)
    sheet = load_workbook(io.BytesIO(stream.getvalue()))["汇总"]
    assert [c.value for c in sheet["B"]][1:4] == [4, 2, 0.5]


def test_survey_pages_for_staff(people, town, client):
    client.force_login(people["office"])
    response = client.post("/surveys/", {"title": "季度调查", "sample_size": "3"})
    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert "季度调查" in detail and "/s/" in detail
    assert client.get(response["Location"] + "?export=1")["Content-Type"].startswith(
        "application/vnd.openxml"
    )
    client.force_login(people["tech"])
    assert client.get("/surveys/").status_code == 403
    _ = timedelta
