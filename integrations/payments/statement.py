"""The bank's daily statement file (对账单): a CSV like real banks publish.

::

    #统一网上缴费商户对账单
    #商户号：ZWFW-ZS-0001
    #对账日期：2026-03-02
    交易时间,商户订单号,银行订单号,银行流水号,交易类型,交易金额,交易状态,退款单号
    2026-03-02 10:15:03,ZW20260302101455A1B2C3D4,BO…,TX…,PAY,10.00,SUCCESS,
    2026-03-02 16:40:11,ZW20260302101455A1B2C3D4,BO…,RT…,REFUND,10.00,SUCCESS,RF…
    #总笔数：2，支付金额：10.00，退款金额：10.00

Amounts are yuan with two decimals, read with ``Decimal`` into integer fen; a third decimal,
a negative amount or an unknown column is an unreadable file, never a rounded number.
"""

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

COLUMNS = {
    "交易时间": "time",
    "商户订单号": "order_number",
    "银行订单号": "bank_order_id",
    "银行流水号": "transaction_id",
    "交易类型": "type",
    "交易金额": "amount",
    "交易状态": "status",
    "退款单号": "refund_number",
}
HEADER = list(COLUMNS)
PAY, REFUND = "PAY", "REFUND"


class StatementUnreadable(ValueError):
    pass


@dataclass(frozen=True)
class Row:
    time: str
    order_number: str
    bank_order_id: str
    transaction_id: str
    type: str
    amount_fen: int
    status: str
    refund_number: str


def to_fen(text: str) -> int:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise StatementUnreadable(f"not an amount: {text!r}") from None
    fen = value * 100
    if value < 0 or fen != fen.to_integral_value():
        raise StatementUnreadable(f"not an amount in yuan with at most two decimals: {text!r}")
    return int(fen)


def to_yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def parse(text: str) -> list[Row]:
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise StatementUnreadable("empty statement")
    reader = csv.reader(io.StringIO("\n".join(lines)))
    header = [name.strip() for name in next(reader)]
    if set(header) != set(COLUMNS):
        raise StatementUnreadable(f"unexpected columns: {header}")
    rows = []
    for number, values in enumerate(reader, start=2):
        if len(values) != len(header):
            raise StatementUnreadable(f"line {number}: {len(values)} values for {len(header)} columns")
        data = {COLUMNS[name]: value.strip() for name, value in zip(header, values, strict=True)}
        if data["type"] not in (PAY, REFUND):
            raise StatementUnreadable(f"line {number}: unknown transaction type {data['type']!r}")
        amount = to_fen(data.pop("amount"))
        rows.append(Row(amount_fen=amount, **data))
    return rows


def write(*, merchant_id: str, day: str, rows: list[dict]) -> str:
    """The file for ``rows`` (dicts with the Row fields; amounts in fen)."""
    out = io.StringIO()
    out.write("#统一网上缴费商户对账单\n")
    out.write(f"#商户号：{merchant_id}\n")
    out.write(f"#对账日期：{day}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    paid = refunded = 0
    for row in rows:
        if row["type"] == PAY:
            paid += row["amount_fen"]
        else:
            refunded += row["amount_fen"]
        writer.writerow(
            [
                row["time"],
                row["order_number"],
                row["bank_order_id"],
                row["transaction_id"],
                row["type"],
                to_yuan(row["amount_fen"]),
                row["status"],
                row.get("refund_number", ""),
            ]
        )
    out.write(f"#总笔数：{len(rows)}，支付金额：{to_yuan(paid)}，退款金额：{to_yuan(refunded)}\n")
    return out.getvalue()
