"""Auth schemas: Login, CodeRequest, CodeVerify, InvitationAccept, PasswordChange,
UserPublic(s), Session."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from metrica.domain.fields import NoControlChars, SafeStr

Role = Literal["superadmin", "owner", "clerk"]
# Deliberately loose (local domains like `metrica.local` are fine on a private install).
EmailStr = Annotated[
    str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320), NoControlChars
]


class Login(BaseModel):
    email: EmailStr
    password: SafeStr = Field(min_length=1, max_length=1024)


class CodeRequest(BaseModel):
    email: EmailStr


class CodeVerify(BaseModel):
    email: EmailStr
    code: SafeStr = Field(pattern=r"^\d{6}$")


class InvitationAccept(BaseModel):
    token: SafeStr = Field(min_length=16, max_length=200)
    password: SafeStr = Field(min_length=8, max_length=1024)


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    role: Role


class UsersPublic(BaseModel):
    data: list[UserPublic]
    count: int


class Session(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    user: UserPublic


class PasswordChange(BaseModel):
    current_password: SafeStr = Field(min_length=1, max_length=1024)
    new_password: SafeStr = Field(min_length=8, max_length=1024)
