from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _photo_access(user, name: str):
    from utilitydesk.cases.selectors import visible_cases
    from utilitydesk.privacy.files import FileAccess

    from .models import Photo

    photo = (
        Photo.objects.filter(file=name, case__in=visible_cases(user))
        .values("case__customer_id", "case__number")
        .first()
    )
    if photo is None:
        return None
    return FileAccess(
        customer_id=photo["case__customer_id"], detail={"case": photo["case__number"]}
    )


def _case_photos(request, case):
    from .models import Photo

    photos = list(Photo.objects.filter(case=case).order_by("pk"))
    return {"selfservice_photos": photos} if photos else None


class SelfserviceConfig(AppConfig):
    name = "utilitydesk.selfservice"
    label = "selfservice"
    verbose_name = _("Customer self-service")

    def ready(self) -> None:
        from utilitydesk.cases import hooks
        from utilitydesk.privacy import files
        from utilitydesk.wechat import households

        from .models import PHOTO_FOLDER
        from .selectors import bound_customer_ids
        from .views import SESSION_KEY

        # The household's photos: staff who may see the case, on its page.
        files.register(PHOTO_FOLDER, _photo_access)
        hooks.register_section(
            hooks.Section("selfservice_photos", "selfservice/_case_photos.html", _case_photos, 6)
        )
        # The WeChat notices page (wechat.views.notices) reads the signed-in household.
        households.register(
            households.Pages(
                SESSION_KEY,
                bound_customer_ids,
                "selfservice:sign_in",
                "selfservice:home",
                "selfservice:bind",
            )
        )
