"""The contact fields Optline knows, and the header spellings that mean each of them."""

from __future__ import annotations

import re

# canonical field -> staging column
FIELDS: dict[str, str] = {
    "phone": "phone_raw",
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "dob": "dob_raw",
    "age": "age_raw",
    "opted_in_at": "opted_in_at_raw",
    "last_contact_at": "last_contact_at_raw",
    "title": "title",
    "address_line1": "address_line1",
    "address_line2": "address_line2",
    "city": "city",
    "state": "state",
    "postcode": "postcode",
    "company": "company",
    "alternate_phone": "alternate_phone",
    "tags": "tags_raw",
}

_ALIASES: dict[str, tuple[str, ...]] = {
    "phone": (
        "phone", "phonenumber", "phoneno", "mobile", "mobilenumber", "mobilephone", "mobileno",
        "cell", "cellphone", "cellnumber", "cellular", "msisdn", "number", "telephone", "tel",
        "telephonenumber", "cellphonenumber", "mobilephonenumber", "sms", "smsnumber", "whatsapp", "whatsappnumber",
        "e164", "contactnumber",
    ),
    "first_name": ("firstname", "first", "fname", "givenname", "forename"),
    "last_name": ("lastname", "last", "lname", "surname", "familyname"),
    "email": ("email", "emailaddress", "mail"),
    "dob": ("dob", "dateofbirth", "birthday", "birthdate", "bday", "born"),
    "age": ("age",),
    "opted_in_at": (
        "optindate", "optin", "optedin", "optedinat", "optedindate", "optintimestamp", "optintime",
        "optindatetime", "optinat", "consentdate", "consentedat", "consenttimestamp",
        "subscribedat", "subscribedate", "subscriptiondate", "signupdate", "signedupat",
    ),
    "last_contact_at": (
        "lastcontact", "lastcontacted", "lastcontactedat", "lastcontactdate", "lastmessaged",
        "lastmessagedat", "lastmessage", "lastmessagedate", "lastactivity", "lastengaged",
    ),
    "title": ("title", "salutation", "prefix"),
    "address_line1": ("address", "address1", "addressline1", "street", "streetaddress"),
    "address_line2": ("address2", "addressline2"),
    "city": ("city", "town"),
    "state": ("state", "county", "province", "region", "stateprovince"),
    "postcode": ("postcode", "zip", "zipcode", "postalcode", "postcodezip"),
    "company": ("company", "organization", "organisation", "employer", "companyname"),
    "alternate_phone": ("alternatephone", "altphone", "otherphone", "phone2", "secondaryphone"),
    "tags": ("tags", "tag", "groups", "labels"),
}

ALIASES: dict[str, str] = {alias: field for field, names in _ALIASES.items() for alias in names}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def header_key(header: str) -> str:
    """`" Cell #"` -> `"cell"`, `"Opt-in Date"` -> `"optindate"`, `"phone_number"` -> `"phonenumber"`."""
    return _NON_ALNUM.sub("", header.strip().lstrip("\ufeff").lower())


def field_for_header(header: str) -> str | None:
    """The canonical field a header names, or None when it is not one Optline knows."""
    return ALIASES.get(header_key(header))
