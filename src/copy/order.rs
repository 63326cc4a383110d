//! The order tables are loaded in, from the target's foreign keys: a parent before its
//! children. Deferrable keys are checked at commit (`SET CONSTRAINTS ALL DEFERRED`) and do not
//! constrain the order. A self reference or a cycle is broken at a key whose columns are all
//! nullable: those columns are loaded as NULL and set afterwards with one UPDATE (Prisma's keys
//! are NOT DEFERRABLE, and switching triggers off would need a superuser). A cycle made only of
//! NOT NULL, non-deferrable keys cannot be loaded by anyone and is an error.

/// A foreign key between two of the copied tables (indexes into the table list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub name: String,
    pub child: usize,
    pub parent: usize,
    /// The child's columns.
    pub columns: Vec<String>,
    pub deferrable: bool,
    /// Every one of the child's columns is nullable.
    pub nullable: bool,
}

/// The load order and the keys loaded NULL first and set afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub tables: Vec<usize>,
    /// Indexes into the key list.
    pub deferred_updates: Vec<usize>,
}

/// Orders `count` tables; ties keep the given order.
pub fn order(count: usize, keys: &[ForeignKey], names: &[String]) -> Result<Order, String> {
    let mut placed = vec![false; count];
    let mut tables = Vec::with_capacity(count);
    let mut broken = Vec::new();
    let relevant: Vec<usize> = (0..keys.len()).filter(|&k| !keys[k].deferrable).collect();
    for &k in &relevant {
        let key = &keys[k];
        if key.child == key.parent {
            if key.nullable {
                broken.push(k);
            } else {
                return Err(format!(
                    "{} references itself through NOT NULL columns ({}) and the key {} is not deferrable; no order of rows can satisfy it",
                    names[key.child],
                    key.columns.join(", "),
                    key.name
                ));
            }
        }
    }
    let waiting = |table: usize, placed: &[bool], broken: &[usize], required_only: bool| {
        relevant
            .iter()
            .copied()
            .filter(|&k| {
                let key = &keys[k];
                key.child == table
                    && key.parent != table
                    && !placed[key.parent]
                    && !broken.contains(&k)
                    && (!required_only || !key.nullable)
            })
            .collect::<Vec<usize>>()
    };
    while tables.len() < count {
        let ready =
            (0..count).find(|&t| !placed[t] && waiting(t, &placed, &broken, false).is_empty());
        let next = match ready {
            Some(t) => t,
            None => {
                // A cycle: take the first table whose waiting keys are all nullable.
                let Some(t) = (0..count)
                    .find(|&t| !placed[t] && waiting(t, &placed, &broken, true).is_empty())
                else {
                    let cycle: Vec<&str> = (0..count)
                        .filter(|&t| !placed[t])
                        .map(|t| names[t].as_str())
                        .collect();
                    return Err(format!(
                        "the tables {} reference each other through NOT NULL, non-deferrable foreign keys; no order of rows can satisfy them",
                        cycle.join(", ")
                    ));
                };
                let cut = waiting(t, &placed, &broken, false);
                broken.extend(cut);
                t
            }
        };
        placed[next] = true;
        tables.push(next);
    }
    broken.sort_unstable();
    Ok(Order {
        tables,
        deferred_updates: broken,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(child: usize, parent: usize, nullable: bool) -> ForeignKey {
        ForeignKey {
            name: format!("fk_{child}_{parent}"),
            child,
            parent,
            columns: vec!["c".into()],
            deferrable: false,
            nullable,
        }
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("t{i}")).collect()
    }

    #[test]
    fn parents_first_ties_in_given_order() {
        // 0 -> 2, 1 -> 0: 2, 0, 1
        let keys = [key(0, 2, false), key(1, 0, true)];
        let order = order(3, &keys, &names(3)).unwrap();
        assert_eq!(order.tables, [2, 0, 1]);
        assert!(order.deferred_updates.is_empty());
    }

    #[test]
    fn self_references_and_cycles_break_at_nullable_keys() {
        let keys = [key(0, 0, true), key(0, 1, true), key(1, 0, false)];
        let order = order(2, &keys, &names(2)).unwrap();
        // 1 needs 0 (NOT NULL), so 0 goes first with its key to 1 set afterwards.
        assert_eq!(order.tables, [0, 1]);
        assert_eq!(order.deferred_updates, [0, 1]);
    }

    #[test]
    fn deferrable_keys_do_not_constrain() {
        let mut k = key(0, 1, false);
        k.deferrable = true;
        let order = order(2, &[k, key(1, 0, false)], &names(2)).unwrap();
        assert_eq!(order.tables, [0, 1]);
        assert!(order.deferred_updates.is_empty());
    }

    #[test]
    fn required_cycles_are_errors() {
        let err = order(2, &[key(0, 1, false), key(1, 0, false)], &names(2)).unwrap_err();
        assert!(err.contains("t0, t1"), "{err}");
        let err = order(1, &[key(0, 0, false)], &names(1)).unwrap_err();
        assert!(err.contains("references itself"), "{err}");
    }
}
