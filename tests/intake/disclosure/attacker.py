"""An independent attacker for suppressed tables: it knows the visible figures, that counts are whole numbers
of at least zero, and that a figure shown as "fewer than k" is at most k - 1, and enumerates every table that
fits. It shares no code with intake.disclosure.suppression, so the two check each other."""

from __future__ import annotations

from collections.abc import Sequence

Unknown = tuple[int, int]


def feasible_values(
    grid: Sequence[Sequence[int | None]],
    small: set[Unknown],
    threshold: int,
    bound: int,
    *,
    column_equations: bool = True,
) -> dict[Unknown, set[int]]:
    """For an augmented grid (last row: column totals, last column: row totals, corner: grand total) with
    ``None`` for hidden figures, every value each hidden figure takes over all consistent tables with figures
    at most ``bound``. With ``column_equations`` false the grid is one distribution and only its row adds up."""
    rows, columns = len(grid) - 1, len(grid[0]) - 1
    unknowns = [(i, j) for i in range(rows + 1) for j in range(columns + 1) if grid[i][j] is None]
    equations: list[tuple[list[Unknown], Unknown]] = []  # parts, total
    for i in range(rows + 1):
        equations.append(([(i, j) for j in range(columns)], (i, columns)))
    if column_equations:
        for j in range(columns + 1):
            equations.append(([(i, j) for i in range(rows)], (rows, j)))
    else:
        equations = equations[:1]
    seen: dict[Unknown, set[int]] = {u: set() for u in unknowns}
    value: dict[Unknown, int] = {(i, j): v for i, row in enumerate(grid) for j, v in enumerate(row) if v is not None}

    def upper(u: Unknown) -> int:
        return threshold - 1 if u in small else bound

    def consistent() -> bool:
        for parts, total in equations:
            if all(p in value for p in parts) and total in value and sum(value[p] for p in parts) != value[total]:
                return False
            if total in value and sum(value[p] for p in parts if p in value) > value[total]:
                return False
        return True

    def forced() -> list[Unknown] | None:
        """Fill in every figure an equation with one unknown left decides; None on a contradiction."""
        filled: list[Unknown] = []
        changed = True
        while changed:
            changed = False
            for parts, total in equations:
                members = [*parts, total]
                missing = [m for m in members if m not in value]
                if len(missing) != 1:
                    continue
                m = missing[0]
                known = sum(value[p] for p in parts if p in value)
                v = value[total] - known if m != total else known
                if v < 0 or v > upper(m):
                    for f in filled:
                        del value[f]
                    return None
                value[m] = v
                filled.append(m)
                changed = True
        return filled

    def search(index: int) -> None:
        while index < len(unknowns) and unknowns[index] in value:
            index += 1
        filled = forced()
        if filled is None:
            return
        if consistent():
            if all(u in value for u in unknowns):
                for u in unknowns:
                    seen[u].add(value[u])
            else:
                while unknowns[index] in value:
                    index += 1
                u = unknowns[index]
                for v in range(upper(u) + 1):
                    value[u] = v
                    search(index + 1)
                    del value[u]
        for f in filled:
            del value[f]

    if column_equations is False:
        unknowns = [u for u in unknowns if u[0] == 0]
        seen = {u: set() for u in unknowns}
    search(0)
    return seen
