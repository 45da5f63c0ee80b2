"""The reviewer console, one module per concept: auth (sign-in, TOTP, account), inbox, case, staff_intake,
admin, audit_log, stats. :func:`console_routes` lists every route with the roles that may use it."""
