from dataclasses import dataclass, field
from typing import IO, Any

from django.db.models import Avg, Count
from openpyxl import Workbook

from utilitydesk.kernel.spreadsheets import append_row

from .models import Answer, Member, Survey, Topic


@dataclass
class SurveyReport:
    sample: int
    responses: int
    topic_scores: dict[str, float | None]
    strata: list[dict[str, Any]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    @property
    def response_rate(self) -> float | None:
        return round(self.responses / self.sample, 4) if self.sample else None


def report(survey: Survey) -> SurveyReport:
    """Response rate, mean score (1–5) per topic and per stratum, and the comments."""
    members = Member.objects.filter(survey=survey)
    answered = members.filter(answered_at__isnull=False)
    scores = Answer.objects.filter(member__survey=survey, score__isnull=False)
    topic_scores: dict[str, float | None] = {t: None for t in Topic.values if t != Topic.FREE_TEXT}
    for row in scores.values("question__topic").annotate(avg=Avg("score")):
        topic_scores[row["question__topic"]] = round(row["avg"], 2)
    strata: list[dict[str, Any]] = []
    sizes = dict(members.values_list("stratum").annotate(n=Count("id")))
    replied = dict(answered.values_list("stratum").annotate(n=Count("id")))
    means = dict(scores.values_list("member__stratum").annotate(avg=Avg("score")))
    for key in sorted(sizes):
        district, _sep, customer_type = key.partition("|")
        strata.append(
            {
                "stratum": key,
                "district": district,
                "customer_type": customer_type,
                "sample": sizes[key],
                "responses": replied.get(key, 0),
                "mean_score": round(means[key], 2) if key in means else None,
            }
        )
    comments = list(
        Answer.objects.filter(member__survey=survey, score__isnull=True)
        .exclude(text="")
        .order_by("member__stratum", "id")
        .values_list("text", flat=True)
    )
    return SurveyReport(
        sizes and sum(sizes.values()) or 0, answered.count(), topic_scores, strata, comments
    )


def report_xlsx(survey: Survey, stream: IO[bytes]) -> None:
    """The report as .xlsx; every cell through core.spreadsheets (comments are anonymous
    free text from the public form)."""

    data = report(survey)
    book = Workbook()
    sheet = book.active
    sheet.title = "汇总"
    append_row(sheet, ["调查", survey.title])
    append_row(sheet, ["样本", data.sample])
    append_row(sheet, ["回复", data.responses])
    append_row(sheet, ["回复率", data.response_rate])
    append_row(sheet, [])
    append_row(sheet, ["主题", "平均分（1-5）"])
    for topic, score in data.topic_scores.items():
        append_row(sheet, [str(Topic(topic).label), score])
    strata = book.create_sheet("分层")
    append_row(strata, ["区", "客户类型", "样本", "回复", "平均分"])
    for row in data.strata:
        append_row(
            strata,
            [
                row["district"],
                row["customer_type"],
                row["sample"],
                row["responses"],
                row["mean_score"],
            ],
        )
    comments = book.create_sheet("意见")
    append_row(comments, ["意见"])
    for text in data.comments:
        append_row(comments, [text])
    book.save(stream)
