"""City keys over time: reviewers' personal key pairs and the grants that hand them a rotated city key
(``grants``), recovery with the city's recovery key (``recovery``), and rotation (``rotation``).
See docs/design.md#cryptography."""
