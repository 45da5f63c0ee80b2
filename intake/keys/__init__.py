"""City keys over time: reviewers' personal key pairs and the grants that hand them a rotated city key
(``grants``), and rotation (``rotation``). Restoring a reviewer's access with the recovery key is
intake.accounts.restore. See docs/design.md#cryptography."""
