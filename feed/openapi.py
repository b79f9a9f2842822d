"""The OpenAPI 3.1 description of the intake feed, the JSON Schema of the guide record, and the
context of the human-readable docs page. Written by hand next to the views in ``feed.api``; the
tests validate the document, check every response against it (schemathesis), and check that
every key of ``serialize_guide`` is described here, so the three cannot drift apart."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.urls import reverse

from feed.api import DEFAULT_LIMIT, MAX_LIMIT
from feed.models import ChangeEvent
from guides.choices import ExerciseLevel, HandlingType, ItemType, MaterialMark, Section
from portal.public_urls import public_url

GUIDE_SCHEMA_VERSION = "v1"
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$"

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
URI = {"type": "string", "format": "uri"}
NULLABLE_URI = {"type": ["string", "null"], "format": "uri"}
DATETIME = {"type": "string", "format": "date-time"}
INTEGER = {"type": "integer", "minimum": 0}
BOOLEAN = {"type": "boolean"}
FINGERPRINT = {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "受理清单规范 JSON 的 SHA-256（小写十六进制）"}


def _object(properties: dict, required: list[str] | None = None, **extra) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        **extra,
    }


def _array(items: dict) -> dict:
    return {"type": "array", "items": items}


def _nullable(ref: dict) -> dict:
    return {"anyOf": [ref, {"type": "null"}]}


# --- the guide record ---------------------------------------------------------------------------


def record_schemas(ref: Callable[[str], dict]) -> dict[str, dict]:
    """The named schemas of the guide record (``guides.serializers.serialize_guide``) plus the
    fields the feed adds. ``ref(name)`` makes the reference to a named schema, so the same
    definitions serve the OpenAPI components and the standalone JSON Schema's ``$defs``."""
    limit = _object(
        {"value": INTEGER, "unit": {"type": "string", "description": "工作日、自然日或即办"}},
        description="时限",
    )
    window = _object(
        {
            "label": {**STRING, "description": "例如：综合受理窗口（1-9号）"},
            "name": STRING,
            "numbers": STRING,
            "role": {"type": "string", "enum": ["intake", "delivery", "consultation"]},
            "location": STRING,
            "hall": STRING,
        },
        description="窗口",
    )
    hall = _object(
        {
            "name": STRING,
            "address": STRING,
            "floor_guide": STRING,
            "floor_plan": _nullable(
                _object(
                    {
                        "url": {**STRING, "description": "楼层平面图图片的地址（站内路径）"},
                        "width": INTEGER,
                        "height": INTEGER,
                        "alt": {**STRING, "description": "平面图的文字说明（替代文本）"},
                    },
                    description="楼层平面图",
                )
            ),
            "phone": STRING,
            "hours": {
                "type": "object",
                "description": "每周办公时段，键 0（周一）到 6（周日），值如 09:00-12:00",
                "additionalProperties": _array({"type": "string", "pattern": r"^\d{2}:\d{2}-\d{2}:\d{2}$"}),
            },
            "closed_days": _array({"type": "string", "format": "date"}),
            "makeup_workdays": {
                "type": "object",
                "description": "调休上班日 → 按周几（0-6）的时间办公",
                "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 6},
            },
        },
        description="服务大厅",
    )
    material = _object(
        {
            "name": STRING,
            "type": STRING,
            "form": STRING,
            "original": {**INTEGER, "description": "原件份数"},
            "copies": {**INTEGER, "description": "复印件份数"},
            "spec": STRING,
            "necessity": {**STRING, "description": "必要、非必要或容缺后补"},
            "source": STRING,
            "marks": {
                **_array({"type": "string", "enum": MaterialMark.values}),
                "description": "材料标记，按此顺序：免提交（窗口通过电子证照库或数据共享获取）、"
                "告知承诺（签署承诺书可代替）、容缺后补（可先受理、后补交；必要性为容缺后补时必有）",
            },
            "acceptance_standard": STRING,
            "note": STRING,
            "basis": {**STRING, "description": "材料依据：要求提交本材料的法律法规或文件及条款"},
            "situation": {**NULLABLE_STRING, "description": "仅在该情形下需要；始终需要时为 null"},
            "blank_form_url": NULLABLE_STRING,
            "sample_url": NULLABLE_STRING,
        },
        description="申请材料",
    )
    step = _object(
        {
            "name": STRING,
            "actor": STRING,
            "description": STRING,
            "review_standard": {**STRING, "description": "审查标准：本环节据以受理、审查或决定的标准（属于受理清单）"},
            "limit": _nullable(ref("Limit")),
            "counts_toward_limit": BOOLEAN,
        },
        description="办理环节",
    )
    guide = _object(
        {
            "code": {"type": "string", "pattern": CODE_PATTERN, "description": "事项实施编码"},
            "basic_code": STRING,
            "sub_item_code": STRING,
            "name": STRING,
            "category": {"type": "string", "enum": Section.values, "description": "版块"},
            "department": {**STRING, "description": "实施主体名称"},
            "department_code": STRING,
            "item_type": {"type": "string", "enum": ItemType.values},
            "exercise_level": {"type": "string", "enum": ["", *ExerciseLevel.values], "description": "行使层级（空为未填写）"},
            "entrusting_department": {**STRING, "description": "委托部门（实施主体受委托实施时）"},
            "co_handlers": {**_array(STRING), "description": "联办机构"},
            "service_object": _array(STRING),
            "themes": _array(STRING),
            "popular": BOOLEAN,
            "summary": STRING,
            "conditions": STRING,
            "quantity_limit": STRING,
            "intermediary_services": {**STRING, "description": "中介服务"},
            "special_procedures": {**STRING, "description": "特别程序（不计入办结时限）"},
            "legal_basis": _array(_object({"title": STRING, "document_number": STRING, "excerpt": STRING})),
            "situations": _array(_object({"key": STRING, "question": STRING, "options": _array(STRING)})),
            "materials": _array(ref("Material")),
            "steps": _array(ref("Step")),
            "handling_type": {
                "type": "string",
                "enum": ["", *HandlingType.values],
                "description": "办件类型：即办件或承诺件（空为未填写；属于受理清单）",
            },
            "legal_limit": _nullable(ref("Limit")),
            "legal_limit_note": STRING,
            "promised_limit": _nullable(ref("Limit")),
            "promised_limit_note": STRING,
            "fee": _object(
                {
                    "charged": BOOLEAN,
                    "items": _array(_object({"name": STRING, "standard": STRING, "basis": STRING, "reduction": STRING})),
                }
            ),
            "visits": {"type": "integer", "minimum": 0, "maximum": 2, "description": "到办事现场次数"},
            "visits_note": STRING,
            "online": BOOLEAN,
            "online_url": STRING,
            "intake_window": STRING,
            "delivery_window": STRING,
            "windows": _array(ref("Window")),
            "hall": ref("Hall"),
            "phone": STRING,
            "complaint_phone": STRING,
            "result": STRING,
            "aliases": {**_array(STRING), "description": "俗称/简称（编辑填写）"},
            "result_type": STRING,
            "result_validity": {**STRING, "description": "结果有效期"},
            "result_sample_url": NULLABLE_STRING,
            "faq": _array(_object({"question": STRING, "answer": STRING})),
            # Added by the feed to the serializer's record:
            "checklist_version": {**INTEGER, "description": "受理清单版本，清单内容变化时加 1"},
            "checklist_fingerprint": FINGERPRINT,
            "url": {**NULLABLE_URI, "description": "门户上的指南页面"},
            "pdf_url": {**URI, "description": "可打印的一次性告知单（PDF）"},
            "short_url": {**URI, "description": "短链接 /g/编码/，二维码使用"},
            "updated_at": {**DATETIME, "description": "最近发布时间"},
            "change_note": {**STRING, "description": "最近一次发布的变更说明"},
        },
        description="办事指南完整记录（与门户页面、PDF 告知单同源）",
    )
    return {"Guide": guide, "Limit": limit, "Window": window, "Hall": hall, "Material": material, "Step": step}


def guide_json_schema(request) -> dict:
    schemas = record_schemas(lambda name: {"$ref": f"#/$defs/{name}"})
    guide = schemas.pop("Guide")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": public_url(reverse("feed:guide-schema-v1")),
        "title": f"办事指南记录 {GUIDE_SCHEMA_VERSION}",
        **guide,
        "$defs": schemas,
    }


# --- the OpenAPI document -----------------------------------------------------------------------


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _components() -> dict:
    schemas = record_schemas(_ref)
    checklist = _object(
        {
            "format": {"type": "integer", "description": "规范格式版本"},
            "code": STRING,
            "name": STRING,
            "conditions": STRING,
            "situations": _array(_object({"key": STRING, "question": STRING, "options": _array(STRING)})),
            "materials": _array({"type": "object"}),
            "legal_limit": _nullable(_ref("Limit")),
            "promised_limit": _nullable(_ref("Limit")),
            "fee": {"type": "object"},
            "intake_window": STRING,
            "delivery_window": STRING,
            "handling_type": {**STRING, "description": "办件类型；指南未填写时没有此键"},
            "review_standards": {
                **_array(_object({"step": STRING, "standard": STRING})),
                "description": "各环节的审查标准（按环节顺序，仅填写了的环节）；均未填写时没有此键",
            },
        },
        required=["format", "code", "materials"],
        description="规范化的受理清单：材料、情形、受理条件、时限、收费、窗口、办件类型和审查标准；指纹即其规范 JSON 的 SHA-256",
    )
    schemas.update(
        {
            "Problem": _object(
                {
                    "type": {**STRING, "description": "问题类型，目前均为 about:blank"},
                    "title": STRING,
                    "status": {"type": "integer"},
                    "detail": STRING,
                    "instance": {**STRING, "description": "请求路径"},
                    "parameter": {**STRING, "description": "出错的参数（仅 400）"},
                },
                required=["type", "title", "status", "detail"],
                description="RFC 9457 问题详情",
            ),
            "GuideListItem": _object(
                {
                    "code": STRING,
                    "name": STRING,
                    "section": {"type": "string", "enum": Section.values},
                    "section_slug": {"type": "string", "enum": ["gc", "jy", "gm"]},
                    "department": STRING,
                    "department_code": STRING,
                    "item_type": {"type": "string", "enum": ItemType.values},
                    "checklist_version": INTEGER,
                    "checklist_fingerprint": STRING,
                    "url": NULLABLE_URI,
                    "api_url": URI,
                    "updated_at": DATETIME,
                }
            ),
            "GuideList": _object(
                {
                    "items": _array(_ref("GuideListItem")),
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                    "has_more": BOOLEAN,
                    "next_cursor": {**NULLABLE_STRING, "description": "下一页（或稍后轮询）用的游标；没有任何结果时为 null"},
                    "next": {**NULLABLE_URI, "description": "下一页的完整地址（has_more 为 true 时）"},
                    "changes_cursor": {
                        "type": "string",
                        "pattern": r"^\d+$",
                        "description": "生成本列表时变更日志的位置：全量同步后从这里调用 changes/?since= 即不会遗漏",
                    },
                }
            ),
            "Checklist": checklist,
            "PersonalMaterial": _object(
                {"name": STRING, "situation": NULLABLE_STRING, "applies": {"type": ["boolean", "null"], "description": "null：相关情形未回答，可能需要"}},
                required=["name", "applies"],
                description="规范化清单中的一项材料，附是否适用于所给回答",
            ),
            "JourneyMember": _object(
                {
                    "code": STRING,
                    "name": STRING,
                    "department": STRING,
                    "required": {**BOOLEAN, "description": "必办（true）或选办（false）"},
                    "fingerprint": FINGERPRINT,
                    "checklist_version": INTEGER,
                },
                required=["code", "name", "required", "fingerprint"],
            ),
            "JourneyStep": _object(
                {
                    "number": {"type": "integer", "minimum": 1},
                    "title": STRING,
                    "note": STRING,
                    "logic": {"type": "string", "enum": ["and", "or"], "description": "and：各项都办；or：办其中一项"},
                    "members": _array(_ref("JourneyMember")),
                },
                required=["number", "title", "logic", "members"],
            ),
            "JourneyListItem": _object(
                {
                    "slug": STRING,
                    "name": STRING,
                    "audience": {"type": "string", "enum": ["person", "business"]},
                    "member_codes": _array(STRING),
                    "url": NULLABLE_URI,
                    "api_url": URI,
                    "pdf_url": URI,
                    "updated_at": {"type": ["string", "null"], "format": "date-time"},
                },
                required=["slug", "name", "member_codes", "api_url"],
            ),
            "JourneyList": _object({"items": _array(_ref("JourneyListItem"))}, required=["items"]),
            "MergedMaterial": _object(
                {
                    "name": STRING,
                    "type": STRING,
                    "original": INTEGER,
                    "copies": INTEGER,
                    "applies": {"type": ["boolean", "null"]},
                    "always_needed": BOOLEAN,
                    "linked": {**BOOLEAN, "description": "由编辑指定合并（而非名称和类型相同）"},
                    "differences": _array(STRING),
                    "needed_by": _array(_object({"code": STRING, "guide_name": STRING, "material_name": STRING,
                                                 "original": INTEGER, "copies": INTEGER})),
                },
                required=["name", "type", "original", "copies", "needed_by"],
            ),
            "MergedChecklist": _object(
                {
                    "fingerprint": {**FINGERPRINT, "description": "由各事项清单指纹、回答和合并规则得出的 SHA-256"},
                    "answers": {"type": "object", "additionalProperties": STRING},
                    "material_count": {**INTEGER, "description": "合并后共需的材料份数（N）"},
                    "item_material_count": {**INTEGER, "description": "各事项分项合计的材料份数（M）"},
                    "members": _array(_object({"code": STRING, "fingerprint": FINGERPRINT})),
                    "materials": _array(_ref("MergedMaterial")),
                },
                required=["fingerprint", "material_count", "item_material_count", "members", "materials"],
            ),
            "Journey": _object(
                {
                    "slug": STRING,
                    "name": STRING,
                    "intro": STRING,
                    "audience": {"type": "string", "enum": ["person", "business"]},
                    "steps": _array(_ref("JourneyStep")),
                    "questions": _array(_object({"key": STRING, "question": STRING, "options": _array(STRING), "answers": _array(STRING)})),
                    "url": NULLABLE_URI,
                    "api_url": URI,
                    "pdf_url": URI,
                    "answered": _array(STRING),
                    "merged_checklist": _ref("MergedChecklist"),
                },
                required=["slug", "name", "steps", "merged_checklist"],
            ),
            "ChecklistVersion": _object(
                {
                    "code": STRING,
                    "name": STRING,
                    "version": {"type": "integer", "minimum": 1},
                    "fingerprint": FINGERPRINT,
                    "short_fingerprint": {"type": "string", "pattern": "^[0-9a-f]{12}$"},
                    "published_at": DATETIME,
                    "current": {**BOOLEAN, "description": "是否为当前有效版本"},
                    "at": {"type": ["string", "null"], "format": "date"},
                    "checklist": _ref("Checklist"),
                    "answers": {"type": "object", "additionalProperties": STRING, "description": "采用的情形回答"},
                    "answered": _array(STRING),
                    "materials": {**_array(_ref("PersonalMaterial")), "description": "按回答筛选后的材料，与按同样回答打印的告知单一致"},
                }
            ),
            "ChecklistChanges": _object(
                {
                    "added": {**_array(STRING), "description": "新增的材料（按名称）"},
                    "removed": {**_array(STRING), "description": "删去的材料"},
                    "changed": {**_array(STRING), "description": "份数、形式、受理标准等有变化的材料"},
                    "other_fields": {**_array(STRING), "description": "材料以外有变化的清单字段"},
                }
            ),
            "FieldChange": _object(
                {
                    "field": {**STRING, "description": "清单字段，如 copies、promised_limit、fee.charged"},
                    "old": {"description": "原值"},
                    "new": {"description": "新值"},
                }
            ),
            "ItemChange": _object(
                {"name": STRING, "fields": _array(_ref("FieldChange"))},
                description="前后都有的材料、情形问题或收费项目，及其变化的字段",
            ),
            "ChecklistChangeDetail": _object(
                {
                    "materials": _object(
                        {
                            "added": _array(STRING),
                            "removed": _array(STRING),
                            "changed": _array(_ref("ItemChange")),
                            "reordered": BOOLEAN,
                        }
                    ),
                    "situations": _object(
                        {"added": _array(STRING), "removed": _array(STRING), "changed": _array(_ref("ItemChange"))}
                    ),
                    "fee_items": _object(
                        {"added": _array(STRING), "removed": _array(STRING), "changed": _array(_ref("ItemChange"))}
                    ),
                    "fields": {**_array(_ref("FieldChange")), "description": "申请条件、时限、收费、窗口等的变化"},
                },
                description="两版受理清单之间的变化：材料按名称、情形问题按参数名对应",
            ),
            "ChecklistVerification": _object(
                {
                    "code": STRING,
                    "current": {**BOOLEAN, "description": "提交的指纹是否就是当前版本"},
                    "version": {"type": "integer", "minimum": 1},
                    "fingerprint": FINGERPRINT,
                    "published_at": DATETIME,
                    "your_version": {"type": ["integer", "null"], "description": "提交的指纹对应的版本；未知指纹为 null"},
                    "your_fingerprint": STRING,
                    "changes": {
                        "anyOf": [_ref("ChecklistChanges"), {"type": "null"}],
                        "description": "从你的版本到当前版本的变化；未知指纹为 null",
                    },
                }
            ),
            "ChangeEvent": _object(
                {
                    "id": {"type": "integer", "minimum": 1},
                    "cursor": {"type": "string", "pattern": r"^\d+$"},
                    "type": {"type": "string", "enum": [kind.value for kind in ChangeEvent.Kind]},
                    "created_at": DATETIME,
                    "code": STRING,
                    "name": STRING,
                    "checklist_version": {"type": ["integer", "null"]},
                    "fingerprint": NULLABLE_STRING,
                    "change_note": STRING,
                    "changes": {
                        "anyOf": [_ref("ChecklistChangeDetail"), {"type": "null"}],
                        "description": "受理清单变更事件：相对上一版清单的变化；其他事件和首版清单为 null",
                    },
                    "guide_url": URI,
                },
                description="变更事件；推送通知（webhook）的请求体与此相同",
            ),
            "ChangeList": _object(
                {
                    "events": _array(_ref("ChangeEvent")),
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                    "has_more": BOOLEAN,
                    "next_cursor": {"type": "string", "pattern": r"^\d+$", "description": "下次请求的 since"},
                }
            ),
        }
    )
    problem = {"application/problem+json": {"schema": _ref("Problem")}}
    rate_headers = {
        "X-RateLimit-Limit": {"description": "时间窗口内允许的请求数", "schema": {"type": "string"}},
        "X-RateLimit-Remaining": {"description": "时间窗口内剩余的请求数", "schema": {"type": "string"}},
    }
    return {
        "schemas": schemas,
        "parameters": {
            "code": {
                "name": "code",
                "in": "path",
                "required": True,
                "description": "事项实施编码",
                "schema": {"type": "string", "pattern": CODE_PATTERN},
            },
            "limit": {
                "name": "limit",
                "in": "query",
                "description": f"每页条数，1 到 {MAX_LIMIT}，默认 {DEFAULT_LIMIT}",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            },
        },
        "headers": {
            "ETag": {"description": "强校验器（正文的 SHA-256）", "schema": {"type": "string"}, "required": True},
            "Last-Modified": {"description": "最后修改时间（HTTP 日期）", "schema": {"type": "string"}},
            **rate_headers,
        },
        "responses": {
            "NotModified": {"description": "未修改（If-None-Match / If-Modified-Since 命中）"},
            "BadRequest": {"description": "参数错误", "content": problem},
            "NotFound": {"description": "不存在", "content": problem},
            "TooManyRequests": {
                "description": "超过频率限制",
                "headers": {"Retry-After": {"description": "秒", "schema": {"type": "string", "pattern": r"^\d+$"}}},
                "content": problem,
            },
        },
    }


def _ok(schema_ref: str, description: str, media_type: str = "application/json") -> dict:
    return {
        "description": description,
        "headers": {
            name: {"$ref": f"#/components/headers/{name}"}
            for name in ("ETag", "Last-Modified", "X-RateLimit-Limit", "X-RateLimit-Remaining")
        },
        "content": {media_type: {"schema": _ref(schema_ref) if schema_ref else {"type": "object"}}},
    }


def _operation(operation_id: str, summary: str, description: str, ok: dict, parameters=(), errors=("400", "404")) -> dict:
    responses = {"200": ok, "304": {"$ref": "#/components/responses/NotModified"}}
    names = {"400": "BadRequest", "404": "NotFound"}
    for status in errors:
        responses[status] = {"$ref": f"#/components/responses/{names[status]}"}
    responses["429"] = {"$ref": "#/components/responses/TooManyRequests"}
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "description": description,
            "parameters": list(parameters),
            "responses": responses,
        }
    }


def _list_filters() -> list[dict]:
    """The filters that the list and the export share."""
    return [
        _query("section", "版块：gc（工程类）、jy（经营类）、gm（公民类）或中文名称", {"type": "string", "enum": ["gc", "jy", "gm", *Section.values]}),
        _query("department", "实施主体的部门编码", {"type": "string", "pattern": CODE_PATTERN}),
        _query("item_type", "事项类型", {"type": "string", "enum": ItemType.values}),
        _query(
            "updated_since",
            "只列出此后发布的事项：ISO 8601 日期（按北京时间当日 0 点）或日期时间（无时区时按北京时间）",
            {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]},
        ),
    ]


def _export_ok() -> dict:
    ok = _ok("Guide", "每行一个事项记录（JSON Schema 同 guides/{code}/）", media_type="application/x-ndjson")
    ok["headers"] = {
        **ok["headers"],
        "X-Total-Count": {"description": "导出开始时选中的事项数", "schema": {"type": "string", "pattern": r"^\d+$"}},
        "X-Changes-Cursor": {"description": "导出开始前变更日志的位置（changes/ 的 since）", "schema": {"type": "string", "pattern": r"^\d+$"}},
    }
    return ok


def _query(name: str, description: str, schema: dict, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def _answers(prefix: str, description: str) -> dict:
    """Situation answers as query parameters named by their question (s1=…, q1=…): an object
    exploded into the query."""
    return {
        "name": "answers",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": True,
        "description": description,
        "schema": {
            "type": "object",
            "propertyNames": {"pattern": f"^{prefix}[0-9]{{1,3}}$"},
            "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 100},
        },
    }


CODE = {"$ref": "#/components/parameters/code"}
LIMIT = {"$ref": "#/components/parameters/limit"}


def api_prefix() -> str:
    """Where portal/urls.py mounted feed.urls, e.g. ``/api/v1``."""
    return reverse("feed:openapi").removesuffix("schema/").rstrip("/")


def openapi_document(request) -> dict:
    paths = {
        "/guides/": _operation(
            "listGuides",
            "已发布的办事指南",
            "按 (最近发布时间, id) 升序的键集分页。重新发布的事项移到末尾，因此翻页期间有人发布也不会漏项；"
            "翻到最后一页后保留 next_cursor，稍后再用它请求即可取得此后发布的事项。"
            "撤下的事项从列表中消失，请通过 changes/ 获知。",
            _ok("GuideList", "一页事项"),
            parameters=[
                *_list_filters(),
                _query("cursor", "上一页返回的 next_cursor（不透明字符串）", {"type": "string", "pattern": r"^[A-Za-z0-9_-]{8,200}$"}),
                LIMIT,
            ],
            errors=("400",),
        ),
        "/guides.ndjson": _operation(
            "exportGuides",
            "全量导出（完整记录，逐行 JSON）",
            "按与 guides/ 相同的筛选条件，以 NDJSON（每行一个与 guides/{code}/ 相同的完整记录）流式返回全部已发布事项，"
            "顺序同 guides/（最近发布时间, id 升序）。响应头 X-Changes-Cursor 是导出开始前变更日志的位置："
            "导出之后从它轮询 changes/ 即不会遗漏；X-Total-Count 是开始时选中的事项数，流式期间被撤下的事项不再输出"
            "（其撤下事件在 changes/ 中）。ETag 为弱校验器，只要没有新的变更就不变，可用 If-None-Match 免去重复下载。",
            _export_ok(),
            parameters=_list_filters(),
            errors=("400",),
        ),
        "/guides/{code}/": _operation(
            "getGuide",
            "办事指南完整记录",
            "与门户页面、PDF 告知单同源的完整记录，另附清单版本、指纹、各类链接与变更说明。"
            "记录的 JSON Schema 见 /api/v1/schemas/guide.json。",
            _ok("Guide", "事项记录"),
            parameters=[CODE],
            errors=("404",),
        ),
        "/guides/{code}/checklist/": _operation(
            "getChecklist",
            "受理清单（当前或某日有效的版本）",
            "不带 at 时返回当前版本；带 at=YYYY-MM-DD 时返回北京时间该日结束时有效的版本"
            "（发布时间不晚于该时刻的最新版本），该日之前尚无版本时返回 404。已撤下事项的历史版本仍可按日期查询。",
            _ok("ChecklistVersion", "清单版本"),
            parameters=[
                CODE,
                _query("at", "日期 YYYY-MM-DD（北京时间）", {"type": "string", "format": "date"}),
                _answers("s", "情形回答，如 s1=是、s2=有限责任公司（键为情形标识，值为是/否或选项）；返回按回答筛选的材料"),
            ],
        ),
        "/journeys/": _operation(
            "listJourneys",
            "一件事列表",
            "已发布的一件事（一件事一次办），含各成员事项编码。",
            _ok("JourneyList", "一件事"),
            errors=(),
        ),
        "/journeys/{slug}/": _operation(
            "getJourney",
            "一件事：步骤、成员事项与合并后的材料清单",
            "各步骤的成员事项（编码、清单指纹）与按共同情形回答（q1=…）合并后的材料清单及其指纹；"
            "任一成员事项的清单变化，合并清单指纹随之变化。",
            _ok("Journey", "一件事"),
            parameters=[
                {"name": "slug", "in": "path", "required": True, "description": "一件事的网址标识",
                 "schema": {"type": "string", "pattern": "^[-a-zA-Z0-9_]{1,255}$"}},
                _answers("q", "共同情形问题的回答，如 q1=是"),
            ],
        ),
        "/guides/{code}/checklist/verify/": _operation(
            "verifyChecklist",
            "核对窗口手中的清单是否为最新",
            "提交清单指纹（完整 64 位或打印在告知单上的前 12 位），返回是否为当前版本，以及从该版本到当前版本的变化。",
            _ok("ChecklistVerification", "核对结果"),
            parameters=[
                CODE,
                _query("fingerprint", "清单指纹（64 位或前 12 位十六进制）", {"type": "string", "pattern": "^[0-9a-fA-F]{12,64}$"}, required=True),
            ],
        ),
        "/changes/": _operation(
            "listChanges",
            "变更日志",
            "按 id 升序返回 id 大于 since 的事件（发布、撤下、受理清单变更），提交顺序与 id 顺序一致："
            "从任何游标开始轮询都不会遗漏、也不会重复。没有新事件时返回空列表，next_cursor 不变。",
            _ok("ChangeList", "事件"),
            parameters=[_query("since", "上次返回的 next_cursor；省略或 0 表示从头开始", {"type": "string", "pattern": r"^\d{1,18}$"}), LIMIT],
            errors=("400",),
        ),
        "/schema/": _operation(
            "getOpenApi", "本接口的 OpenAPI 3.1 描述", "即本文档。", _ok("", "OpenAPI 文档"), errors=()
        ),
        "/schemas/guide.json": _operation(
            "getGuideSchema",
            "办事指南记录的 JSON Schema（当前版本）",
            f"JSON Schema 2020-12；$id 为 /api/v1/schemas/guide/{GUIDE_SCHEMA_VERSION}.json。",
            _ok("", "JSON Schema", media_type="application/schema+json"),
            errors=(),
        ),
        f"/schemas/guide/{GUIDE_SCHEMA_VERSION}.json": _operation(
            "getGuideSchemaV1",
            f"办事指南记录的 JSON Schema（{GUIDE_SCHEMA_VERSION}）",
            "固定版本的地址，内容只会向后兼容地增加字段。",
            _ok("", "JSON Schema", media_type="application/schema+json"),
            errors=(),
        ),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "一窗办事指南 · 受理系统数据接口",
            "version": "1.0.0",
            "description": (
                "供综合受理系统同步办事指南与受理清单，保证网页、打印告知单与窗口清单一致。"
                "公开只读，JSON（UTF-8）。每个客户端有频率限制（默认每分钟 120 次，超出返回 429 与 Retry-After）。"
                "所有成功响应带强 ETag 与 Last-Modified，支持 If-None-Match / If-Modified-Since（304）与 gzip。"
                "错误统一为 application/problem+json；参数给出但取值为空（如 cursor=）同样视为参数错误。"
                "变更也可通过推送订阅（webhook）获取，请求体与 changes/ 的事件相同。"
            ),
        },
        "servers": [{"url": api_prefix()}],
        "paths": paths,
        "components": _components(),
    }


# --- the docs page ------------------------------------------------------------------------------


def _schema_label(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " 或 ".join(_schema_label(s) for s in schema["anyOf"])
    kind = schema.get("type", "")
    text = " | ".join(kind) if isinstance(kind, list) else kind
    if schema.get("format"):
        text += f" ({schema['format']})"
    if "enum" in schema:
        text += "：" + "、".join(map(str, schema["enum"]))
    if "pattern" in schema:
        text += f"，格式 {schema['pattern']}"
    if "minimum" in schema or "maximum" in schema:
        text += f"，{schema.get('minimum', '')}–{schema.get('maximum', '')}"
    return text


def docs_context(request) -> dict:
    document = openapi_document(request)
    components = document["components"]

    def resolve(item: dict, section: str) -> dict:
        if "$ref" in item:
            return components[section][item["$ref"].rsplit("/", 1)[-1]]
        return item

    operations = []
    for path, item in document["paths"].items():
        operation = item["get"]
        parameters = [resolve(p, "parameters") for p in operation["parameters"]]
        responses = []
        for status, response in operation["responses"].items():
            resolved = resolve(response, "responses")
            content = resolved.get("content", {})
            media_type, body = next(iter(content.items()), ("", {}))
            responses.append(
                {
                    "status": status,
                    "description": resolved.get("description", ""),
                    "media_type": media_type,
                    "schema": _schema_label(body.get("schema", {})) if body else "",
                }
            )
        operations.append(
            {
                "method": "GET",
                "path": api_prefix() + path,
                "anchor": operation["operationId"],
                "summary": operation["summary"],
                "description": operation["description"],
                "parameters": [
                    {
                        "name": p["name"],
                        "in": p["in"],
                        "required": p.get("required", False),
                        "description": p.get("description", ""),
                        "schema": _schema_label(p["schema"]),
                    }
                    for p in parameters
                ],
                "responses": responses,
            }
        )
    schemas = [
        {
            "name": name,
            "description": schema.get("description", ""),
            "fields": [
                {
                    "name": field,
                    "schema": _schema_label(spec),
                    "required": field in schema.get("required", []),
                    "description": spec.get("description", ""),
                }
                for field, spec in schema.get("properties", {}).items()
            ],
        }
        for name, schema in components["schemas"].items()
    ]
    return {
        "info": document["info"],
        "operations": operations,
        "schemas": schemas,
        "openapi_url": reverse("feed:openapi"),
        "guide_schema_url": reverse("feed:guide-schema"),
        "example_event": json.dumps(
            {
                "id": 42,
                "cursor": "42",
                "type": "checklist_changed",
                "created_at": "2025-03-01T09:30:00.123456+08:00",
                "code": "T-JY-0001",
                "name": "食品经营许可证核发",
                "checklist_version": 3,
                "fingerprint": "…64 位十六进制…",
                "change_note": "营业执照复印件改为 2 份",
                "changes": {
                    "materials": {
                        "added": [],
                        "removed": [],
                        "changed": [{"name": "营业执照", "fields": [{"field": "copies", "old": 1, "new": 2}]}],
                        "reordered": False,
                    },
                    "situations": {"added": [], "removed": [], "changed": []},
                    "fee_items": {"added": [], "removed": [], "changed": []},
                    "fields": [],
                },
                "guide_url": public_url("/api/v1/guides/T-JY-0001/"),
            },
            ensure_ascii=False,
            indent=2,
        ),
    }
