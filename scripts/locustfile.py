"""The cold morning (issue 18, item 5): the mix of people who use UtilityDesk on the first
cold day of the season, for locust. `make loadtest` (scripts/loadtest.py) prepares the
people and their sessions on the `make_city` database, starts the production stack and
runs this file; it can also be pointed at any running server:

    LOADTEST_DATA=var/loadtest/data.json locust -f scripts/locustfile.py --host http://…

Signing in is not part of the mix (it is password hashing, once a shift): every simulated
person starts with the session or API token loadtest.py made for a real account of the
city. Several simulated people may share one account, as the city has fewer accounts of
some roles than R-11's hundred agents and thousand field staff.

Request names are the operations of the table in docs/benchmarks.md. An answer the
person expects is a success: a 409 for a case someone else just took, the duplicate
warning of an intake, the form shown again. Anything else is an error."""

import json
import os
import random
import re
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import gevent
from locust import HttpUser, between, constant_pacing, events, task

DATA: dict = {}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TILE = re.compile(r'hx-get="(/dashboard/[a-z_]+/[^"]*)"')
# A one-pixel PNG: what the signature pad sends is a PNG data URL like it.
SIGNATURE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
COMPLAINTS = ["暖气不热", "暖气片冰凉", "家里只有十五度", "楼道管道漏水", "暖气有异响"]
serial = count()


@events.init.add_listener
def load_people(environment, **_kw) -> None:
    path = os.environ.get("LOADTEST_DATA", "var/loadtest/data.json")
    DATA.update(json.loads(Path(path).read_text(encoding="utf-8")))


def in_two_hours() -> str:
    """An appointment a technician books: soon, and inside every case's own limit (a
    temperature check is due within 24 hours of the application, R-705)."""
    return (datetime.now(UTC) + timedelta(hours=2)).isoformat()


def pick(role: str) -> dict:
    people = DATA[role]
    return people[next(serial) % len(people)]


class Person(HttpUser):
    abstract = True
    role = ""

    def on_start(self) -> None:
        self.me = pick(self.role)
        if self.me.get("session"):
            self.client.cookies.set(DATA["session_cookie"], self.me["session"])
        self.api = {"Authorization": f"Token {self.me['token']}"} if self.me.get("token") else {}

    def page(self, path: str, name: str) -> str:
        # A redirect (to the sign-in page) is an error: every page here is the person's own.
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                return ""
            return response.text

    def api_get(self, path: str, name: str, **params) -> dict:
        with self.client.get(
            path, params=params, headers=self.api, name=name, catch_response=True
        ) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
                return {}
            return r.json()

    def api_post(self, path: str, body: dict, name: str, expected=(200, 201)) -> dict | None:
        with self.client.post(
            path, json=body, headers=self.api, name=name, catch_response=True
        ) as r:
            if r.status_code == 409:
                r.success()  # someone acted first, or a duplicate: the person is told so
                return None
            if r.status_code not in expected:
                r.failure(f"{r.status_code} {r.text[:200]}")
                return None
            return r.json()

    def form_post(self, path: str, form_page: str, fields: dict, name: str) -> None:
        token = CSRF_INPUT.search(form_page)
        if token is None:
            return
        with self.client.post(
            path,
            data={"csrfmiddlewaretoken": token.group(1), **fields},
            headers={"Referer": self.client.base_url + path},
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code not in (200, 302):
                response.failure(f"{response.status_code}")


class Agent(Person):
    """A hotline agent: the screen-pop on every call, most calls a new case, searching,
    the callback queue."""

    role = "agents"
    weight = 100
    # Six calls in ten tasks, eight seconds apart on average: a hundred agents take about
    # 26,000 calls an hour, so that after repeat callers (about one call in five finds the
    # customer's open case and opens none) the 20,000 cases an hour of the target are opened.
    wait_time = between(4, 12)

    @task(6)
    def call(self) -> None:
        customer = random.choice(DATA["customers_called"])
        self.api_get(
            "/api/v1/customers/lookup/", "agent: screen-pop (API)", phone=customer["phone"]
        )
        self.api_post(
            "/api/v1/contacts/",
            {
                "channel": "phone",
                "kind": "repair",
                "content": random.choice(COMPLAINTS),
                "customer_id": customer["id"],
                "premises_id": customer["premises"],
            },
            "agent: intake, new case (API)",
        )

    @task(2)
    def search(self) -> None:
        self.page(f"/cases/?q={random.choice(DATA['search_terms'])}", "agent: case search page")

    @task(1)
    def callbacks(self) -> None:
        self.page("/callbacks/", "agent: callback queue page")

    @task(1)
    def home(self) -> None:
        self.page("/", "agent: home")


class Dispatcher(Person):
    """The service centre's dispatch desk, a station head or a team leader: the unit's
    queue, a case, now and then a case sent where it belongs."""

    role = "dispatchers"
    weight = 20
    wait_time = between(5, 15)

    def on_start(self) -> None:
        super().on_start()
        self.queue()  # the shift starts with the unit's queue open

    @task(4)
    def queue(self) -> None:
        self.page("/cases/?view=unit", "dispatcher: unit queue page")

    @task(2)
    def open_case(self) -> None:
        found = self.api_get("/api/v1/cases/", "dispatcher: case list (API)", status="dispatched")
        if found.get("results"):
            case = random.choice(found["results"])
            self.page(f"/cases/{case['number']}/", "dispatcher: case page")

    @task(1)
    def redirect(self) -> None:
        """The service centre's dispatch desk sends returned cases on; a station returns
        a case that is not its own (R-302)."""
        if not self.me["redispatch"]:
            self.act_on(
                "dispatched", "return", {"note": "不属本所辖区"}, "station: return a case (API)"
            )
        elif not self.act_on(
            "returned",
            "dispatch",
            {"unit_id": random.choice(DATA["stations"])},
            "dispatcher: dispatch a returned case (API)",
        ):
            self.act_on(
                "dispatched",
                "redispatch",
                {"unit_id": random.choice(DATA["stations"]), "note": "改派"},
                "dispatcher: redirect a case (API)",
            )

    def act_on(self, status: str, action: str, body: dict, name: str) -> bool:
        found = self.api_get("/api/v1/cases/", "dispatcher: case list (API)", status=status)
        if not found.get("results"):
            return False
        case = random.choice(found["results"])
        self.api_post(
            f"/api/v1/cases/{case['number']}/{action}/",
            {**body, "expected_version": case["version"]},
            name,
        )
        return True


class Technician(Person):
    """A technician on the phone: the work list, then one case through accept, booking,
    arrival and resolution with the customer's signature."""

    role = "technicians"
    weight = 1000
    wait_time = constant_pacing(600)

    def on_start(self) -> None:
        super().on_start()
        # A thousand phones do not all open the work list in the same second.
        gevent.sleep(random.uniform(0, 600))

    @task
    def work(self) -> None:
        self.page("/field/", "technician: work list page")
        found = self.api_get("/api/v1/cases/", "technician: my cases (API)", status="dispatched")
        if not found.get("results"):
            return
        case = random.choice(found["results"][:10])
        number, version = case["number"], case["version"]
        self.page(f"/field/{number}/", "technician: case page")
        for action, body in (
            ("accept", {}),
            ("book", {"appointment_at": in_two_hours(), "note": "约两小时后上门"}),
            ("arrive", {}),
            ("resolve", {"work_done": "排气，恢复供热", "signature": SIGNATURE}),
        ):
            answer = self.api_post(
                f"/api/v1/cases/{number}/{action}/",
                {**body, "expected_version": version},
                f"technician: {action} (API)",
            )
            if answer is None:
                return  # a colleague took it first
            version = answer["version"]


class Leader(Person):
    """A manager or station head with the dashboard open: its tiles refresh themselves
    every minute (htmx), and now and then the whole page is opened again."""

    role = "leaders"
    weight = 20
    wait_time = constant_pacing(60)

    def on_start(self) -> None:
        super().on_start()
        self.tiles = TILE.findall(self.page("/", "leader: dashboard"))

    @task(4)
    def refresh(self) -> None:
        for tile in self.tiles:
            self.page(tile, "dashboard tile")

    @task(1)
    def dashboard(self) -> None:
        self.tiles = TILE.findall(self.page("/", "leader: dashboard"))


class Household(Person):
    """A household on its phone: its cases, the interruptions, its bill; some report a
    cold radiator."""

    role = "households"
    weight = 200
    wait_time = between(10, 30)

    @task(6)
    def my_cases(self) -> None:
        page = self.page("/my/cases/", "household: my cases page")
        numbers = re.findall(r'href="/my/cases/([^/"]+)/"', page)
        if numbers:
            self.page(f"/my/cases/{random.choice(numbers)}/", "household: one case page")

    @task(3)
    def interruptions(self) -> None:
        self.page("/my/interruptions/", "household: interruptions page")

    @task(4)
    def bills(self) -> None:
        self.page("/my/bills/", "household: bills page")

    @task(1)
    def report(self) -> None:
        form = self.page("/my/report/", "household: report form")
        self.form_post(
            "/my/report/",
            form,
            {"kind": "repair", "premises": self.me["premises"], "description": "暖气不热，请派人"},
            "household: report a fault (form)",
        )
