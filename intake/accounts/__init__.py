"""Reviewers and what they may do: accounts and roles (``reviewers``), signing in (``authentication``), TOTP
(``totp``), sessions that carry the unlocked city key (``sessions``), a city admin's work
(``administration``), a reviewer's own account (``account``), and the one check before a reviewer touches a
case (``case_access``)."""
