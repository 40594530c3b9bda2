"""Notice templates rendered for customers: every placeholder filled, and the text passes
the registered checks (R-205) when the template is saved and again when it is rendered
with its values."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .checks import PLACEHOLDER, check_customer_text, placeholders
from .models import NoticeTemplate


@dataclass(frozen=True)
class RenderedNotice:
    template: NoticeTemplate
    text: str
    # The values in placeholder order (Tencent's TemplateParamSet).
    values: list[str]


def template_values(template: NoticeTemplate, params: dict[str, str]) -> list[str]:
    names = placeholders(template.text)
    missing = [name for name in names if not str(params.get(name, "")).strip()]
    if missing:
        raise ValidationError(
            {
                "params": _("The notice %(code)s needs a value for: %(names)s.")
                % {"code": template.code, "names": ", ".join(missing)}
            }
        )
    return [str(params[name]).strip() for name in names]


def render_notice(*, template_code: str, params: dict[str, str]) -> RenderedNotice:
    """The text of an active template with ``params`` filled in, refused (ValidationError)
    when a value is missing or the text would contain a forbidden phrase."""
    template = NoticeTemplate.objects.filter(code=template_code, is_active=True).first()
    if template is None:
        raise ValidationError(
            {"template_code": _("No active notice template %(code)s.") % {"code": template_code}}
        )
    values = template_values(template, params)
    filled = dict(zip(placeholders(template.text), values, strict=True))
    text = PLACEHOLDER.sub(lambda m: filled[m.group(1)], template.text)
    check_customer_text(text)
    return RenderedNotice(template=template, text=text, values=values)
