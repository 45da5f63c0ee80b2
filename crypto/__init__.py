"""Pure cryptography for the hotline (docs/design.md#cryptography).

Nothing here knows about the database, the web or Twilio. Each module is one concept:

- ``params``: the named constants and the start-up check of them.
- ``hpke_keys``: the hybrid ML-KEM-768 + X25519 key pairs used by cities and reporters.
- ``wrapping``: wrapping a secret under a passphrase (Argon2id) or under a random key.
- ``passwords``: a reviewer's password turned into a login verifier and key-wrapping keys.
- ``recovery``: a city's offline recovery key.
- ``sealing``: per-item data keys, AES-256-GCM content and HPKE-sealed data keys.
- ``streaming``: chunked AES-256-GCM for files and audio.
- ``report_keys``: the reporter's report key, its peppered lookup and the reporter's wrapped key pair.
- ``audit_chain``: the per-city audit hash chain and Ed25519-signed chain heads.
"""
