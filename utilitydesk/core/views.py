from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from utilitydesk.customers.selectors import pending_grade_requests
from utilitydesk.org.selectors import positions_of


@login_required
def home(request):
    return render(
        request,
        "core/home.html",
        {
            "positions": positions_of(request.user),
            "pending_grade_requests": pending_grade_requests(request.user).count(),
        },
    )


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
