"""Where synthetic applicants live and where their household registration (户籍) is.

Province codes are the first two digits of GB/T 2260 administrative division codes, the
same digits that open a resident ID number. The city tiers are thinfile's own grouping
for simulation (1 = the four largest cities … 4 = smaller prefecture-level cities).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CITIES", "MIGRANT_ORIGINS", "PROVINCES", "City"]

PROVINCES: dict[int, str] = {
    11: "北京",
    12: "天津",
    13: "河北",
    14: "山西",
    15: "内蒙古",
    21: "辽宁",
    22: "吉林",
    23: "黑龙江",
    31: "上海",
    32: "江苏",
    33: "浙江",
    34: "安徽",
    35: "福建",
    36: "江西",
    37: "山东",
    41: "河南",
    42: "湖北",
    43: "湖南",
    44: "广东",
    45: "广西",
    46: "海南",
    50: "重庆",
    51: "四川",
    52: "贵州",
    53: "云南",
    54: "西藏",
    61: "陕西",
    62: "甘肃",
    63: "青海",
    64: "宁夏",
    65: "新疆",
}
"""Province-level division code → short Chinese name."""


@dataclass(frozen=True, slots=True)
class City:
    """A destination city: its name, tier (1–4), province code and weight among arrivals."""

    name: str
    tier: int
    province: int
    weight: float


CITIES: tuple[City, ...] = (
    City("北京", 1, 11, 9),
    City("上海", 1, 31, 10),
    City("广州", 1, 44, 9),
    City("深圳", 1, 44, 10),
    City("成都", 2, 51, 6),
    City("杭州", 2, 33, 6),
    City("重庆", 2, 50, 5),
    City("武汉", 2, 42, 5),
    City("西安", 2, 61, 4),
    City("苏州", 2, 32, 5),
    City("南京", 2, 32, 4),
    City("天津", 2, 12, 4),
    City("郑州", 2, 41, 4),
    City("长沙", 2, 43, 4),
    City("东莞", 2, 44, 5),
    City("佛山", 2, 44, 4),
    City("合肥", 2, 34, 3),
    City("青岛", 2, 37, 3),
    City("宁波", 2, 33, 3),
    City("昆明", 3, 53, 3),
    City("南宁", 3, 45, 3),
    City("贵阳", 3, 52, 2),
    City("南昌", 3, 36, 2),
    City("石家庄", 3, 13, 2),
    City("太原", 3, 14, 2),
    City("济南", 3, 37, 2),
    City("福州", 3, 35, 2),
    City("厦门", 3, 35, 2),
    City("温州", 3, 33, 2),
    City("泉州", 3, 35, 2),
    City("惠州", 3, 44, 2),
    City("中山", 3, 44, 2),
    City("赣州", 4, 36, 1),
    City("洛阳", 4, 41, 1),
    City("芜湖", 4, 34, 1),
    City("柳州", 4, 45, 1),
    City("遵义", 4, 52, 1),
    City("湛江", 4, 44, 1),
    City("株洲", 4, 43, 1),
    City("襄阳", 4, 42, 1),
    City("宜昌", 4, 42, 1),
    City("绵阳", 4, 51, 1),
)

MIGRANT_ORIGINS: dict[int, float] = {
    41: 14,
    51: 10,
    34: 10,
    43: 8,
    42: 6,
    36: 7,
    45: 6,
    52: 5,
    13: 5,
    37: 5,
    50: 4,
    53: 3,
    61: 3,
    62: 3,
    23: 2,
    14: 2,
    32: 2,
    33: 1,
    35: 1,
    44: 1,
    21: 1,
    22: 1,
    15: 1,
    46: 0.5,
    63: 0.3,
    64: 0.3,
    65: 0.5,
    54: 0.1,
    11: 0.2,
    12: 0.3,
    31: 0.2,
}
"""Relative weight of each province as the hukou origin of inter-provincial migrants."""
