/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#define PG_BUS_NAME             "org.passgate1"
#define PG_OBJECT_PATH          "/org/passgate1"
#define PG_CONVERSATION_PREFIX  "/org/passgate1/conversation"
#define PG_IFACE_MANAGER        "org.passgate1.Manager"
#define PG_IFACE_CONVERSATION   "org.passgate1.Conversation"
#define PG_IFACE_ACCOUNTS       "org.passgate1.Accounts"
#define PG_IFACE_SERVICECENTERS "org.passgate1.ServiceCenters"
#define PG_IFACE_SUPPORT        "org.passgate1.Support"

#define PG_POLKIT_MANAGE         "org.passgate1.manage"
#define PG_POLKIT_SERVICE_CENTER "org.passgate1.service-center"
#define PG_POLKIT_SUPPORT        "org.passgate1.support"

/* Conversation flows. */
#define PG_FLOW_LOGIN           "login"
#define PG_FLOW_CHANGE_PASSWORD "change-password"
#define PG_FLOW_RECOVERY        "recovery"

/* Step kinds. */
#define PG_STEP_SECRET "secret"
#define PG_STEP_TEXT   "text"
#define PG_STEP_CHOICE "choice"
#define PG_STEP_INFO   "info"
#define PG_STEP_DONE   "done"
#define PG_STEP_FAILED "failed"

/* Errors, as D-Bus error names and as prompt["Error"] of a failed step. */
#define PG_ERROR_PREFIX                "org.passgate1.Error."
#define PG_ERROR_AUTHENTICATION_FAILED PG_ERROR_PREFIX "AuthenticationFailed"
#define PG_ERROR_PASSWORD_REJECTED     PG_ERROR_PREFIX "PasswordRejected"
#define PG_ERROR_NO_SUCH_ACCOUNT       PG_ERROR_PREFIX "NoSuchAccount"
#define PG_ERROR_ACCOUNT_EXISTS        PG_ERROR_PREFIX "AccountExists"
#define PG_ERROR_NO_SUCH_UNIX_USER     PG_ERROR_PREFIX "NoSuchUnixUser"
#define PG_ERROR_IDENTIFIER_IN_USE     PG_ERROR_PREFIX "IdentifierInUse"
#define PG_ERROR_INVALID_IDENTIFIER    PG_ERROR_PREFIX "InvalidIdentifier"
#define PG_ERROR_TOO_MANY_ATTEMPTS     PG_ERROR_PREFIX "TooManyAttempts"
#define PG_ERROR_RATE_LIMITED          PG_ERROR_PREFIX "RateLimited"
#define PG_ERROR_CANCELLED             PG_ERROR_PREFIX "Cancelled"
#define PG_ERROR_EXPIRED               PG_ERROR_PREFIX "Expired"
#define PG_ERROR_STORE                 PG_ERROR_PREFIX "StoreFailure"
#define PG_ERROR_PERMISSION_DENIED     PG_ERROR_PREFIX "PermissionDenied"
#define PG_ERROR_DELIVERY_FAILED       PG_ERROR_PREFIX "DeliveryFailed"
#define PG_ERROR_NO_CONTACT            PG_ERROR_PREFIX "NoContact"
#define PG_ERROR_NO_SUCH_CENTER        PG_ERROR_PREFIX "NoSuchCenter"
#define PG_ERROR_CENTER_EXISTS         PG_ERROR_PREFIX "CenterExists"
#define PG_ERROR_NO_SUCH_SLOT          PG_ERROR_PREFIX "NoSuchSlot"
#define PG_ERROR_SLOT_FULL             PG_ERROR_PREFIX "SlotFull"
#define PG_ERROR_TOO_MANY_BOOKINGS     PG_ERROR_PREFIX "TooManyBookings"
#define PG_ERROR_NO_SUCH_COUPON        PG_ERROR_PREFIX "NoSuchCoupon"
#define PG_ERROR_DOCUMENTS_MISMATCH    PG_ERROR_PREFIX "DocumentsMismatch"
#define PG_ERROR_NO_SUCH_REQUEST       PG_ERROR_PREFIX "NoSuchRequest"
/* A login conversation that recovered the password: the user logs in again with the new one. */
#define PG_ERROR_PASSWORD_RECOVERED PG_ERROR_PREFIX "PasswordRecovered"
#define PG_ERROR_ACCESS_DENIED      "org.freedesktop.DBus.Error.AccessDenied"
#define PG_ERROR_INVALID_ARGS       "org.freedesktop.DBus.Error.InvalidArgs"
