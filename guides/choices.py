"""Controlled vocabularies of a Chinese service guide. The stored values are the Chinese terms
used in national data-exchange tables and in the corpus schema, so imports need no mapping."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Section(models.TextChoices):
    ENGINEERING = "工程类", _("工程类")
    BUSINESS = "经营类", _("经营类")
    CITIZEN = "公民类", _("公民类")


SECTION_SLUGS = {Section.ENGINEERING: "gc", Section.BUSINESS: "jy", Section.CITIZEN: "gm"}
SECTION_BY_SLUG = {slug: section for section, slug in SECTION_SLUGS.items()}


class ItemType(models.TextChoices):
    LICENSING = "行政许可", _("行政许可")
    CONFIRMATION = "行政确认", _("行政确认")
    BENEFIT = "行政给付", _("行政给付")
    REWARD = "行政奖励", _("行政奖励")
    ADJUDICATION = "行政裁决", _("行政裁决")
    FILING = "行政备案", _("行政备案")
    OTHER_POWER = "其他行政权力", _("其他行政权力")
    PUBLIC_SERVICE = "公共服务", _("公共服务")


class ServiceObject(models.TextChoices):
    NATURAL_PERSON = "自然人", _("自然人")
    INDIVIDUAL_BUSINESS = "个体工商户", _("个体工商户")
    ENTERPRISE = "企业法人", _("企业法人")
    UNINCORPORATED = "非法人企业", _("非法人企业")
    PUBLIC_INSTITUTION = "事业单位", _("事业单位")
    SOCIAL_ORGANISATION = "社会组织", _("社会组织")
    GOVERNMENT = "机关法人", _("机关法人")
    OTHER = "其他组织", _("其他组织")


class ExerciseLevel(models.TextChoices):
    """行使层级: the level of government that exercises the item (national implementation lists)."""

    NATIONAL = "国家级", _("国家级")
    PROVINCIAL = "省级", _("省级")
    MUNICIPAL = "市级", _("市级")
    COUNTY = "县级", _("县级")
    TOWNSHIP = "镇（乡、街道）级", _("镇（乡、街道）级")
    VILLAGE = "村（社区）级", _("村（社区）级")


class HandlingType(models.TextChoices):
    """办件类型: handled on the spot (即办件) or accepted with a promised time limit (承诺件)."""

    IMMEDIATE = "即办件", _("即办件")
    PROMISED = "承诺件", _("承诺件")


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "工作日", _("工作日")
    NATURAL_DAYS = "自然日", _("自然日")
    IMMEDIATE = "即办", _("即办")


class MaterialType(models.TextChoices):
    CERTIFICATE = "证件证书证明", _("证件证书证明")
    FORM = "申请表格文书", _("申请表格文书")
    OTHER = "其他", _("其他")


class MaterialForm(models.TextChoices):
    PAPER = "纸质", _("纸质")
    ELECTRONIC = "电子", _("电子")
    EITHER = "纸质或电子", _("纸质或电子")


class Necessity(models.TextChoices):
    REQUIRED = "必要", _("必要")
    OPTIONAL = "非必要", _("非必要")
    DEFERRABLE = "容缺后补", _("容缺后补")


class MaterialMark(models.TextChoices):
    """The marks of guides.domain.marks, in their canonical order, with labels to translate."""

    OBTAINED_BY_OFFICE = "免提交", _("免提交")
    COMMITMENT_ACCEPTED = "告知承诺", _("告知承诺")
    DEFERRABLE = "容缺后补", _("容缺后补")


class MaterialSource(models.TextChoices):
    APPLICANT = "申请人自备", _("申请人自备")
    GOVERNMENT = "政府部门核发", _("政府部门核发")
    INTERMEDIARY = "中介机构出具", _("中介机构出具")
    OTHER = "其他", _("其他")


class WindowRole(models.TextChoices):
    INTAKE = "intake", _("综合受理")
    DELIVERY = "delivery", _("统一出件")
    CONSULTATION = "consultation", _("咨询服务")


class ResultType(models.TextChoices):
    LICENCE = "证照", _("证照")
    APPROVAL = "批文", _("批文")
    OTHER = "其他", _("其他")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("周一")
    TUESDAY = 1, _("周二")
    WEDNESDAY = 2, _("周三")
    THURSDAY = 3, _("周四")
    FRIDAY = 4, _("周五")
    SATURDAY = 5, _("周六")
    SUNDAY = 6, _("周日")


class CalendarDayKind(models.TextChoices):
    CLOSED = "closed", _("休息（节假日）")
    WORKDAY = "workday", _("调休上班")
