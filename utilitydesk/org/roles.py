"""Which Django permissions each position grants. Groups are named after position codes.

Scope is separate from permissions: positions in SCOPED_POSITIONS see only customers and
cases of their own station(s); the rest see the whole company.
"""

from .models import Position

VIEW = ["customers.view_customer", "area.view_building", "org.view_orgunit"]
FULL_PHONE = ["customers.view_full_phone"]
EDIT = ["customers.change_customer", "customers.add_customer", "customers.request_grade_change"]
APPROVE = ["customers.approve_grade_change"]
EXPORT = ["customers.export_customers", "cases.export_case"]
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

CASE_VIEW = ["cases.view_case", "knowledge.view_entry"]
# The supply-network tree (/network/) and the upload of the network workbook.
NETWORK = ["area.view_substation"]
NETWORK_IMPORT = ["area.import_network"]
INTAKE = ["cases.add_contact"]
DISPATCH = ["cases.dispatch_case"]
# The routing-rules page (cases/routing): dispatchers and the service office keep them.
ROUTING = ["cases.view_routingrule", "cases.add_routingrule", "cases.change_routingrule"]
HANDLE = ["cases.handle_case"]
SUPERVISE = ["cases.supervise_case"]
FRONT_DESK = ["cases.close_case", "cases.reopen_case", "cases.cancel_case"]
FAULTS = ["outages.manage_major_fault", "outages.view_majorfault"]
# The failed-delivery list of customer notices: agents and the service office call the
# customers a text did not reach.
FAILED_NOTICES = ["notifications.work_failed_notices"]
# The 12345 exchange page (docs/exchange-12345.md): agents and the service office see it,
# return orders, ask for extensions and send failed messages again; the service office and
# administrators read its records in the admin (read-only).
EXCHANGE = ["exchange.view_exchange", "exchange.act_on_exchange"]
EXCHANGE_RECORDS = ["exchange.view_order", "exchange.view_inbound", "exchange.view_outbound"]
# People who take calls see the open major faults (to answer callers and link calls).
FAULT_VIEW = ["outages.view_majorfault"]
# Supply interruptions (docs/outages.md): run by dispatchers, station heads and the service
# office; seen by whoever takes calls; the fee-reduction list exported for billing.
INTERRUPTIONS = [
    "outages.manage_interruption",
    "outages.view_interruption",
    "cases.settle_case",  # restoration closes the calls it held
]
INTERRUPTION_VIEW = ["outages.view_interruption"]
REDUCTION_EXPORT = ["outages.export_reductions"]
# Indoor temperature (docs/temperature.md): field staff record measurements; station heads
# keep monitoring points and the instruments register and read the reports; the refund
# approver the policy names (the service office by default) decides refunds.
MEASURE = ["temperature.record_measurement", "temperature.view_measurement"]
MONITORING = [
    "temperature.add_monitoringpoint",
    "temperature.change_monitoringpoint",
    "temperature.view_monitoringpoint",
    "temperature.import_logger_readings",
]
INSTRUMENTS = [
    "temperature.add_instrument",
    "temperature.change_instrument",
    "temperature.view_instrument",
]
TEMPERATURE_REPORT = ["temperature.view_temperature_report", "temperature.view_measurement"]
REFUNDS = ["temperature.decide_refund", "temperature.view_refundcredit"]
# Heating fees (docs/billing.md): billing clerks run the season's bills and correct bills
# within their authority; leaders approve larger corrections; whoever answers
# customers sees the bills.
BILL_VIEW = ["billing.view_bill"]
BILLING = [
    "billing.view_bill",
    "billing.generate_bills",
    "billing.correct_bill",
    "billing.view_tariffschedule",
    "billing.view_billcorrection",
    # Heat meter readings imported from the meter-reading system (billing/meter_import.py).
    "billing.add_meterreading",
    "billing.view_meterreading",
]
BILL_APPROVE = ["billing.correct_bill", "billing.view_billcorrection", "billing.view_bill"]
# Payments (docs/billing.md): billing clerks take counter payments, reverse and refund them,
# import bank files, reconcile (三方一致) and read the month's statistics.
PAYMENTS = [
    "payments.view_payment",
    "payments.take_payment",
    "payments.reverse_payment",
    "payments.import_bank_file",
    "payments.reconcile",
    "payments.view_payment_statistics",
]
# Arrears (docs/billing.md): clerks follow accounts up and record stop / resume
# applications; station heads and leaders see the list and approve the steps the arrears
# policy names them for; agents record stop / resume applications.
ARREARS = [
    "arrears.view_arrearsrecord",
    "arrears.export_arrears",
    "arrears.work_arrears",
    "arrears.view_heatapplication",
    "arrears.record_heat_application",
]
ARREARS_LEAD = ["arrears.view_arrearsrecord", "arrears.export_arrears", "arrears.work_arrears"]
HEAT_APPLICATION = ["arrears.record_heat_application", "arrears.view_heatapplication"]
# The arrears path and the stop / resume window (policy data, edited as drafts in the admin).
ARREARS_POLICY = [
    "arrears.view_arrearspolicy",
    "arrears.add_arrearspolicy",
    "arrears.change_arrearspolicy",
    "arrears.publish_arrears_policy",
    "arrears.view_pathstep",
    "arrears.add_pathstep",
    "arrears.change_pathstep",
    "arrears.delete_pathstep",
]
CALLBACK = [
    "callbacks.make_callback",
    "callbacks.view_callbacktask",
    "callbacks.view_rates",
    "complaints.view_complaint",
]
SPOT_CHECK = [
    "callbacks.run_spot_check",
    "callbacks.view_spotcheck",
    "surveys.run_survey",
    "surveys.view_survey",
]
DETERMINE = ["complaints.determine_complaint"]
# Category and level move a complaint's deadlines: set by the service centre and the
# service office only (complaints.services.classify also checks the person's unit).
CLASSIFY = ["complaints.classify_complaint"]
RULE_APPEAL = ["complaints.rule_appeal"]
# Leaders read the service rates, survey reports and the complaint register; a station
# head only their station's rates (kpis.selectors.rate_units).
LEADER_READ = [
    "callbacks.view_rates",
    "surveys.view_survey",
    "complaints.view_complaint",
    # The stored reports (docs/reports.md): read, and generated on demand.
    "reports.view_report",
    "reports.generate_report",
]
# the service office marks the complaints kept beyond the retention period.
MARK_IMPORTANT = ["complaints.mark_important"]
SLA_VIEW = [
    "sla.view_policyversion",
    "sla.view_limitrule",
    "sla.view_escalationlevel",
    "sla.view_calendarday",
]
SLA_ADMIN = SLA_VIEW + [
    "sla.add_policyversion",
    "sla.change_policyversion",
    "sla.publish_policy",
    "sla.add_limitrule",
    "sla.change_limitrule",
    "sla.delete_limitrule",
    "sla.add_escalationlevel",
    "sla.change_escalationlevel",
    "sla.delete_escalationlevel",
    "sla.add_calendarday",
    "sla.change_calendarday",
]
KNOWLEDGE_ADMIN = [
    "knowledge.add_entry",
    "knowledge.change_entry",
    "knowledge.add_forbiddenphrase",
    "knowledge.change_forbiddenphrase",
    "knowledge.view_forbiddenphrase",
    "knowledge.add_standardphrase",
    "knowledge.change_standardphrase",
    "knowledge.view_standardphrase",
    # Notice texts for customers (the provider's template ids are entered here).
    "notifications.view_noticetemplate",
    "notifications.change_noticetemplate",
    "cases.view_routingrule",
    "cases.add_routingrule",
    "cases.change_routingrule",
]

# Duty and handover (docs/duty.md): the service centre's people write the duty log and hand
# over; its head, the service office and the managers keep and publish the roster.
DUTY = ["duty.keep_duty_log", "duty.view_dutylogentry", "duty.view_roster"]
DUTY_ROSTER = ["duty.publish_roster", "duty.view_roster", "duty.view_dutylogentry"]

ROLE_PERMISSIONS: dict[Position, list[str]] = {
    Position.AGENT: VIEW
    + FULL_PHONE
    + EDIT
    + CASE_VIEW
    + INTAKE
    + FAULT_VIEW
    + INTERRUPTION_VIEW
    + HANDLE
    + FRONT_DESK
    + CALLBACK
    + CLASSIFY
    + FAILED_NOTICES
    + EXCHANGE
    + BILL_VIEW
    + HEAT_APPLICATION
    + DUTY,
    Position.DISPATCHER: VIEW
    + FULL_PHONE
    + CASE_VIEW
    + INTAKE
    + DISPATCH
    + ROUTING
    + ["cases.export_case"]
    + SUPERVISE
    + ["cases.cancel_case"]
    + FAULTS
    + INTERRUPTIONS
    + CLASSIFY
    + NETWORK
    + NETWORK_IMPORT
    + DUTY,
    Position.TECHNICIAN: VIEW + CASE_VIEW + HANDLE + MEASURE,
    Position.TEAM_LEADER: VIEW + CASE_VIEW + HANDLE + SUPERVISE + MEASURE + MONITORING,
    Position.STATION_HEAD: VIEW
    + FULL_PHONE
    + CASE_VIEW
    + HANDLE
    + SUPERVISE
    + FAULTS
    + INTERRUPTIONS
    + LEADER_READ
    + NETWORK
    + MEASURE
    + MONITORING
    + INSTRUMENTS
    + TEMPERATURE_REPORT
    + BILL_APPROVE
    + ARREARS_LEAD,
    Position.DEPARTMENT_HEAD: SPOT_CHECK
    + DETERMINE
    + CLASSIFY
    + LEADER_READ
    + VIEW
    + FULL_PHONE
    + APPROVE
    + EXPORT
    + CASE_VIEW
    + HANDLE
    + SUPERVISE
    + DISPATCH
    + FAULTS
    + INTERRUPTION_VIEW
    + NETWORK
    + TEMPERATURE_REPORT
    + BILL_APPROVE
    + ARREARS_LEAD
    + DUTY
    + DUTY_ROSTER,
    Position.DEPUTY_GM: VIEW
    + FULL_PHONE
    + APPROVE
    + EXPORT
    + CASE_VIEW
    + FAULTS
    + INTERRUPTION_VIEW
    + RULE_APPEAL
    + LEADER_READ
    + NETWORK
    + TEMPERATURE_REPORT
    + BILL_APPROVE
    + ARREARS_LEAD
    + DUTY
    + DUTY_ROSTER,
    Position.GENERAL_MANAGER: VIEW
    + FULL_PHONE
    + APPROVE
    + EXPORT
    + CASE_VIEW
    + FAULTS
    + INTERRUPTION_VIEW
    + RULE_APPEAL
    + LEADER_READ
    + NETWORK
    + TEMPERATURE_REPORT
    + BILL_APPROVE
    + ARREARS_LEAD
    + DUTY
    + DUTY_ROSTER,
    Position.PARENT_GM: VIEW + FULL_PHONE + APPROVE + CASE_VIEW,
    Position.BILLING_CLERK: VIEW
    + FULL_PHONE
    + EDIT
    + CASE_VIEW
    + INTAKE
    + FAULT_VIEW
    + HANDLE
    + INTERRUPTION_VIEW
    + REDUCTION_EXPORT
    + BILLING
    + ARREARS
    + PAYMENTS,
    Position.SERVICE_OFFICE: CALLBACK
    + FAILED_NOTICES
    + EXCHANGE
    + EXCHANGE_RECORDS
    + SPOT_CHECK
    + DETERMINE
    + CLASSIFY
    + RULE_APPEAL
    + LEADER_READ
    + MARK_IMPORTANT
    + VIEW
    + FULL_PHONE
    + EDIT
    + EXPORT
    + IMPORT
    + OFFICE
    + CASE_VIEW
    + INTAKE
    + HANDLE
    + DISPATCH
    + FRONT_DESK
    + FAULTS
    + INTERRUPTIONS
    + REDUCTION_EXPORT
    + KNOWLEDGE_ADMIN
    + SLA_VIEW
    + NETWORK
    + TEMPERATURE_REPORT
    + REFUNDS
    + DUTY_ROSTER,
    Position.ADMINISTRATOR: ["complaints.delete_complaint", "complaints.view_complaint"]
    + VIEW
    + FULL_PHONE
    + EDIT
    + EXPORT
    + IMPORT
    + OFFICE
    + ADMIN_EXTRA
    + CASE_VIEW
    + INTAKE
    + DISPATCH
    + FRONT_DESK
    + FAULTS
    + KNOWLEDGE_ADMIN
    + SLA_ADMIN
    + NETWORK_IMPORT
    + INSTRUMENTS
    + ARREARS_POLICY
    + EXCHANGE_RECORDS,
}

SCOPED_POSITIONS = {Position.TECHNICIAN, Position.TEAM_LEADER, Position.STATION_HEAD}

# Positions that may use the Django admin for reference data.
STAFF_POSITIONS = {Position.ADMINISTRATOR, Position.SERVICE_OFFICE}
