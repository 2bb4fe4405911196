"""The account forms both interfaces accept: sign up, sign in, the applicant profile.

The API reads them as JSON bodies (they appear in its OpenAPI spec); the pages read the same
fields from a form and validate them with the same models, so an e-mail address, a password or
an ID number is accepted or refused alike by both. The models check only sizes: what an ID
number, a phone or a name may be is the service's rule (:mod:`thinfile.resident_id`,
:mod:`thinfile.text`), so the command line holds it too.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from thinfile.text import NAME_MAX_LENGTH

__all__ = ["EMAIL", "ApplicantCreate", "PasswordChange", "SignIn", "SignUp"]

EMAIL = r"^[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(\.[A-Za-z0-9\-]{1,63})+$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SignUp(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "rider@example.com", "password": "correct horse battery"}]
        }
    )

    email: str = Field(max_length=254, pattern=EMAIL)
    password: str = Field(min_length=10, max_length=128)


class SignIn(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "rider@example.com", "password": "correct horse battery"}]
        }
    )

    email: str = Field(max_length=254, pattern=EMAIL)
    password: str = Field(min_length=1, max_length=128)


class PasswordChange(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"current_password": "correct horse battery", "new_password": "staple lamp river"}
            ]
        }
    )

    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=10, max_length=128)


class ApplicantCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "王小明", "id_number": "11010519491231002X", "phone": "13812345678"}
            ]
        }
    )

    name: str = Field(
        min_length=1,
        max_length=NAME_MAX_LENGTH,
        description="As on the ID card; no control or invisible formatting characters",
    )
    id_number: str = Field(
        min_length=1,
        max_length=40,
        description="居民身份证号码: 17 digits and a check digit or X (full-width digits are read "
        "as the same digits; digits of other scripts are refused)",
    )
    phone: str = Field(
        min_length=1,
        max_length=40,
        description="Mainland mobile number in an assigned segment (号段), such as 13812345678; "
        "+86, spaces and dashes are allowed",
    )
