"""The bank file layouts shipped as data (docs/billing.md, "Bank file layouts"): examples
for two banks, to be checked against each bank's own specification before use."""

from typing import Any

DEFAULT_LAYOUTS: list[dict[str, Any]] = [
    {
        # 中国工商银行 批量代扣结果文件: comma-separated, GBK, one header line, amounts in yuan.
        "code": "ICBC-WH",
        "bank": "中国工商银行",
        "purpose": "withholding",
        "file_format": "csv",
        "encoding": "gbk",
        "delimiter": ",",
        "header_rows": 1,
        "columns": {
            "transaction_id": 0,
            "account_no": 1,
            "name": 2,
            "amount": 3,
            "date": 4,
            "status": 5,
        },
        "date_format": "%Y%m%d",
        "amount_unit": "yuan",
        "success_values": ["成功", "0000"],
    },
    {
        # 中国工商银行 账户对账单 (the company's account): comma-separated, GBK.
        "code": "ICBC-STMT",
        "bank": "中国工商银行",
        "purpose": "statement",
        "file_format": "csv",
        "encoding": "gbk",
        "delimiter": ",",
        "header_rows": 1,
        "columns": {"date": 0, "reference": 1, "amount": 2, "description": 3},
        "date_format": "%Y-%m-%d",
        "amount_unit": "yuan",
        "success_values": [],
    },
    {
        # 中国建设银行 托收结果文件: fixed width, GBK, no header, amounts in fen zero-padded.
        # Offsets are bytes of the encoded line: [start, width].
        "code": "CCB-COL",
        "bank": "中国建设银行",
        "purpose": "collection",
        "file_format": "fixed",
        "encoding": "gbk",
        "delimiter": "",
        "header_rows": 0,
        "columns": {
            "transaction_id": [0, 20],
            "account_no": [20, 16],
            "amount": [36, 12],
            "date": [48, 8],
            "status": [56, 1],
        },
        "date_format": "%Y%m%d",
        "amount_unit": "fen",
        "success_values": ["1"],
    },
]


def install_default_layouts(layout_model: Any) -> None:
    """Adds the shipped layouts that are missing (a layout changed by the company stays)."""
    for spec in DEFAULT_LAYOUTS:
        values = {k: v for k, v in spec.items() if k != "code"}
        layout_model.objects.get_or_create(code=spec["code"], defaults=values)
