"""Which Django permissions each position grants. Groups are named after position codes.

Scope is separate from permissions: positions in SCOPED_POSITIONS see only customers and
cases of their own station(s); the rest see the whole company.
"""

from .models import Position

VIEW = ["customers.view_customer", "area.view_building", "org.view_orgunit"]
FULL_PHONE = ["customers.view_full_phone"]
EDIT = ["customers.change_customer", "customers.add_customer", "customers.request_grade_change"]
APPROVE = ["customers.approve_grade_change"]
EXPORT = ["customers.export_customers"]
IMPORT = ["customers.import_customers"]
OFFICE = ["customers.record_entry_error", "audit.view_accesslog", "audit.view_changerecord"]
ADMIN_EXTRA = [
    "org.add_orgunit",
    "org.change_orgunit",
    "org.add_assignment",
    "org.change_assignment",
    "org.delete_assignment",
    "org.view_assignment",
    "area.add_building",
    "area.change_building",
    "area.add_community",
    "area.change_community",
    "area.view_community",
    "area.add_district",
    "area.change_district",
    "area.view_district",
    "area.add_substation",
    "area.change_substation",
    "area.view_substation",
    "area.add_grid",
    "area.change_grid",
    "area.view_grid",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Position.AGENT: VIEW + FULL_PHONE + EDIT,
    Position.DISPATCHER: VIEW + FULL_PHONE,
    Position.TECHNICIAN: VIEW,
    Position.TEAM_LEADER: VIEW,
    Position.STATION_HEAD: VIEW + FULL_PHONE,
    Position.DEPARTMENT_HEAD: VIEW + FULL_PHONE + APPROVE + EXPORT,
    Position.DEPUTY_GM: VIEW + FULL_PHONE + APPROVE + EXPORT,
    Position.GENERAL_MANAGER: VIEW + FULL_PHONE + APPROVE + EXPORT,
    Position.PARENT_GM: VIEW + FULL_PHONE + APPROVE,
    Position.BILLING_CLERK: VIEW + FULL_PHONE + EDIT,
    Position.SERVICE_OFFICE: VIEW + FULL_PHONE + EDIT + EXPORT + IMPORT + OFFICE,
    Position.ADMINISTRATOR: VIEW + FULL_PHONE + EDIT + EXPORT + IMPORT + OFFICE + ADMIN_EXTRA,
}

SCOPED_POSITIONS = {Position.TECHNICIAN, Position.TEAM_LEADER, Position.STATION_HEAD}

# Positions that may use the Django admin for reference data.
STAFF_POSITIONS = {Position.ADMINISTRATOR, Position.SERVICE_OFFICE}
