"""Statistical disclosure control: which counts may be published so that no one can be picked out of them.

Pure code, no database: cell suppression (primary and complementary, ``suppression``) shared by the exit-interview
analytics and the case statistics, and the rules for regional figures that combine several cities
(``regional``). It imports no other part of intake (docs/design.md#import-rules-inside-intake)."""
