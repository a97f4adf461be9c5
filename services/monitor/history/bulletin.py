"""The assessment bulletin (考核通报) of a period: one document, as JSON and as Markdown.

Pure: ``bulletin`` assembles the ranked units and the platform's totals; ``markdown`` renders
it. Names of departments and regions come from the shared reference list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.monitor.history.assess import Counters, add, assess, figures
from services.monitor.history.model import AssessmentModel, Period
from shared.reference import departments, regions

BY = ("department", "region", "item_code")
BY_LABEL = {"department": "部门", "region": "地区", "item_code": "事项"}


def unit_name(by: str, unit: str) -> str:
    if by == "department":
        found = departments().get(unit)
        return found.name if found else unit
    if by == "region":
        return regions().get(unit, unit)
    return unit


def bulletin(
    units: Mapping[str, Counters],
    model: AssessmentModel,
    period: Period,
    *,
    by: str,
    scope: str | None,
    at: datetime,
) -> dict[str, Any]:
    ranked = assess(units, model)
    for row in ranked:
        row["name"] = unit_name(by, row["unit"])
    return {
        "title": f"{model.name} 考核通报",
        "model": model.name,
        "period": {"label": period.label, "from": period.since, "to": period.until},
        "by": by,
        "region_scope": scope,
        "generated_at": at,
        "indicators": [i.model_dump() for i in model.indicators],
        "units": ranked,
        "totals": figures(add(list(units.values())), model),
    }


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def fmt_value(indicator: Mapping[str, Any]) -> str:
    value = indicator["value"]
    if indicator["id"].endswith(("_rate", "_used")):
        return pct(value)
    return num(value, 0 if indicator["id"] == "credit_incidents" else 2)


def markdown(doc: Mapping[str, Any]) -> str:
    period = doc["period"]
    lines = [
        f"# {doc['title']}",
        "",
        f"考核期间 Period: **{period['label']}** ({period['from']} – {period['to']}); "
        f"按{BY_LABEL[doc['by']]}排名 "
        f"(by {doc['by']}){'; 范围 region ' + doc['region_scope'] if doc['region_scope'] else ''}.",
        "",
        "## 排名 Ranking",
        "",
    ]
    names = [i["name"] for i in doc["indicators"]]
    lines.append("| 名次 | 单位 | 得分 | " + " | ".join(names) + " |")
    lines.append("|---:|---|---:|" + "---:|" * len(names))
    for u in doc["units"]:
        values = " | ".join(fmt_value(i) for i in u["indicators"])
        rank = u["rank"] if u["rank"] is not None else "—"
        lines.append(f"| {rank} | {u['name']} ({u['unit']}) | {num(u['score'])} | {values} |")
    unranked = [u for u in doc["units"] if u["rank"] is None]
    if unranked:
        lines += ["", "未排名 Not ranked (no data, or fewer accepted cases than the model asks):"]
        lines += [f"- {u['name']} ({u['unit']})" for u in unranked]
    lines += [
        "",
        "## 考核指标 Indicators",
        "",
        "| 指标 | 权重 | 目标 | 方向 |",
        "|---|---:|---:|---|",
    ]
    for i in doc["indicators"]:
        target = fmt_value({"id": i["id"], "value": i["target"]})
        lines.append(f"| {i['name']} ({i['id']}) | {i['weight']:g} | {target} | {i['better']} |")
    lines += ["", "## 全平台汇总 Totals", "", *totals_lines(doc["totals"])]
    lines += [
        "",
        f"_Generated {doc['generated_at']:%Y-%m-%d %H:%M %Z} from the period rollups._",
        "",
    ]
    return "\n".join(lines)


def totals_lines(t: Mapping[str, Any]) -> list[str]:
    cases, ind, days, sup = t["cases"], t["indicators"], t["working_days"], t["supervision"]
    rungs = ", ".join(f"rung {n}: {v}" for n, v in sup["escalations_by_rung"].items()) or "none"
    levels = ", ".join(f"{k} {v}" for k, v in t["ratings"]["by_level"].items()) or "none"
    rect = t["rectifications"]
    return [
        f"- 申请 submitted {cases['submitted']}, 受理 accepted {cases['accepted']}, "
        f"办结 decided {cases['decided']}",
        f"- 环节按时 stages on time {pct(ind['stage_on_time_rate'])}; 承诺时限内 within the "
        f"promised limit {pct(ind['case_on_time_rate'])}; 法定时限内 within the statutory "
        f"limit {pct(ind['statutory_on_time_rate'])}",
        f"- 平均用时 average working days {num(days['case_average'])} against promised "
        f"{num(days['promised_limit_average'])} and statutory "
        f"{num(days['statutory_limit_average'])}",
        f"- 黄灯 yellow {sup['warned']}, 红灯 red {sup['overdue']}; 督办 escalations {rungs}; "
        f"黄牌 {sup['cards']['yellow']}, 红牌 {sup['cards']['red']}; findings {sup['findings']}; "
        f"credit incidents {sup['credit_incidents']}",
        f"- 好差评 ratings {t['ratings']['total']} ({levels}); satisfaction "
        f"{pct(ind['satisfaction_rate'])}",
        f"- 整改 rectifications opened {rect['opened']}, answered {rect['closed']}, on time "
        f"{rect['closed_on_time']}",
    ]
