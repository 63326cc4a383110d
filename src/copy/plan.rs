//! What is copied where: the tables and columns the Prisma schema defines (models, `@@map`,
//! `@map`, implicit many-to-many join tables), checked against the SQLite file and the target's
//! catalog before anything is written. Every mismatch is collected, so one run names them all.

use std::collections::{BTreeMap, HashMap};

use postgres::GenericClient;

use super::value::{Limits, Source};
use crate::prisma_model::{Arity, FieldType, Schema};

/// A column to copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    pub name: String,
    /// `Model.field` for messages (or `_AToB.A`).
    pub field: String,
    pub source: Source,
    pub optional: bool,
    pub autoincrement: bool,
}

/// A table to copy, as the schema describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    pub name: String,
    /// The model, or `implicit many-to-many` for a join table.
    pub origin: String,
    pub columns: Vec<ColumnSpec>,
    /// Indexes into `columns` of the primary key (the row key in messages).
    pub key: Vec<usize>,
}

/// The tables of a schema, models first (in schema order), then join tables.
pub fn tables(schema: &Schema) -> Result<Vec<TableSpec>, Vec<String>> {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    let source_of = |ty: &FieldType| -> Option<Source> {
        match ty {
            FieldType::Scalar(s) => Some(Source::Scalar(*s)),
            FieldType::Enum(name) => schema.enum_named(name).map(|e| Source::Enum {
                name: e.db_name.clone(),
                labels: e.values.iter().map(|v| v.db_name.clone()).collect(),
            }),
            _ => None,
        }
    };
    for model in &schema.models {
        let mut columns = Vec::new();
        for field in model.fields.iter().filter(|f| f.is_column()) {
            let label = format!("{}.{}", model.name, field.name);
            if field.arity == Arity::List {
                problems.push(format!(
                    "{label} (line {}) is a scalar list, which SQLite cannot hold; is this the SQLite schema?",
                    field.line
                ));
                continue;
            }
            let Some(source) = source_of(&field.ty) else {
                problems.push(format!(
                    "{label} (line {}) has a type copy-data cannot convert ({:?})",
                    field.line, field.ty
                ));
                continue;
            };
            columns.push(ColumnSpec {
                name: field.db_name.clone(),
                field: label,
                source,
                optional: field.arity == Arity::Optional,
                autoincrement: field.autoincrement,
            });
        }
        let key = model
            .primary_key
            .iter()
            .filter_map(|f| model.field(f))
            .filter_map(|f| columns.iter().position(|c| c.name == f.db_name))
            .collect();
        out.push(TableSpec {
            name: model.db_name.clone(),
            origin: format!("model {}", model.name),
            columns,
            key,
        });
    }
    for join in schema.join_tables() {
        let mut columns = Vec::new();
        for (column, model_name) in [("A", &join.a), ("B", &join.b)] {
            let model = schema.model(model_name).expect("join tables name models");
            let id = match model.primary_key.as_slice() {
                [id] => model.field(id),
                _ => None,
            };
            match id.and_then(|f| source_of(&f.ty)) {
                Some(source) => columns.push(ColumnSpec {
                    name: column.to_string(),
                    field: format!("{}.{column}", join.table),
                    source,
                    optional: false,
                    autoincrement: false,
                }),
                None => problems.push(format!(
                    "{} joins {model_name}, which has no single-field @id",
                    join.table
                )),
            }
        }
        out.push(TableSpec {
            name: join.table.clone(),
            origin: format!("implicit many-to-many {} <-> {}", join.a, join.b),
            columns,
            key: vec![0, 1],
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// A column of a target table, from the catalog.
#[derive(Debug, Clone)]
pub struct TargetColumn {
    pub name: String,
    pub type_name: String,
    pub is_enum: bool,
    pub typmod: i32,
    pub not_null: bool,
    pub has_default: bool,
    pub enum_labels: Vec<String>,
}

/// The target's tables in one schema.
pub fn target_tables(
    client: &mut impl GenericClient,
    schema: &str,
) -> Result<BTreeMap<String, Vec<TargetColumn>>, postgres::Error> {
    let mut labels: HashMap<u32, Vec<String>> = HashMap::new();
    for row in client.query(
        "SELECT enumtypid, enumlabel::text FROM pg_enum ORDER BY enumtypid, enumsortorder",
        &[],
    )? {
        labels.entry(row.get(0)).or_default().push(row.get(1));
    }
    let rows = client.query(
        "SELECT c.relname::text, a.attname::text, t.typname::text, t.typtype = 'e', a.atttypmod,
                a.attnotnull, a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '', a.atttypid
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           JOIN pg_type t ON t.oid = a.atttypid
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
          ORDER BY c.relname, a.attnum",
        &[&schema],
    )?;
    let mut out: BTreeMap<String, Vec<TargetColumn>> = BTreeMap::new();
    for row in rows {
        let oid: u32 = row.get(7);
        out.entry(row.get(0)).or_default().push(TargetColumn {
            name: row.get(1),
            type_name: row.get(2),
            is_enum: row.get(3),
            typmod: row.get(4),
            not_null: row.get(5),
            has_default: row.get(6),
            enum_labels: labels.get(&oid).cloned().unwrap_or_default(),
        });
    }
    Ok(out)
}

/// The PostgreSQL types a Prisma type may be stored in.
fn accepted(source: &Source) -> &'static [&'static str] {
    use crate::prisma_model::ScalarType::*;
    match source {
        Source::Enum { .. } => &[],
        Source::Scalar(s) => match s {
            String => &["text", "varchar"],
            Int => &["int4", "int8", "int2"],
            BigInt => &["int8"],
            Float => &["float8", "float4"],
            Decimal => &["numeric"],
            Boolean => &["bool"],
            DateTime => &["timestamp", "timestamptz"],
            Json => &["jsonb", "json"],
            Bytes => &["bytea"],
        },
    }
}

/// What the target column asks of each value.
pub fn limits(column: &TargetColumn) -> Limits {
    let typmod = column.typmod;
    Limits {
        int_range: match column.type_name.as_str() {
            "int2" => Some((i16::MIN.into(), i16::MAX.into())),
            "int4" => Some((i32::MIN.into(), i32::MAX.into())),
            _ => None,
        },
        numeric: (column.type_name == "numeric" && typmod >= 4).then(|| {
            let t = typmod - 4;
            (i64::from((t >> 16) & 0xffff), i64::from(t & 0xffff))
        }),
        timestamp_precision: (column.type_name.starts_with("timestamp") && typmod >= 0)
            .then_some(typmod as u32),
        max_chars: (column.type_name == "varchar" && typmod >= 4).then(|| (typmod - 4) as usize),
        single_float: column.type_name == "float4",
    }
}

/// Checks one table against the target; the problems found, and the limits of its columns.
pub fn check_table(spec: &TableSpec, target: &[TargetColumn]) -> (Vec<String>, Vec<Limits>) {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for column in &spec.columns {
        let Some(found) = target.iter().find(|c| c.name == column.name) else {
            problems.push(format!(
                "\"{}\".\"{}\" ({}) is missing in the target",
                spec.name, column.name, column.field
            ));
            out.push(Limits::default());
            continue;
        };
        let fits = match &column.source {
            Source::Enum { name, labels } => {
                if !found.is_enum || found.type_name != *name {
                    false
                } else {
                    let missing: Vec<&String> = labels
                        .iter()
                        .filter(|l| !found.enum_labels.contains(l))
                        .collect();
                    if !missing.is_empty() {
                        problems.push(format!(
                            "\"{}\".\"{}\": the target's enum {name} lacks {}",
                            spec.name,
                            column.name,
                            missing
                                .iter()
                                .map(|l| format!("'{l}'"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                    true
                }
            }
            source => accepted(source).contains(&found.type_name.as_str()),
        };
        if !fits {
            let wanted = match &column.source {
                Source::Enum { name, .. } => format!("the enum type {name}"),
                source => accepted(source).join(" or "),
            };
            let what = match &column.source {
                Source::Enum { name, .. } => format!("enum {name}"),
                Source::Scalar(s) => s.to_string(),
            };
            problems.push(format!(
                "\"{}\".\"{}\" ({}, {what}) is {} in the target; expected {wanted}",
                spec.name, column.name, column.field, found.type_name
            ));
        }
        out.push(limits(found));
    }
    for extra in target {
        if extra.not_null
            && !extra.has_default
            && !spec.columns.iter().any(|c| c.name == extra.name)
        {
            problems.push(format!(
                "\"{}\".\"{}\" is NOT NULL without a default in the target but not in the schema, so no value can be copied into it",
                spec.name, extra.name
            ));
        }
    }
    (problems, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_of_a_schema() {
        let schema = Schema::parse(
            r#"
            enum Role {
              A @map("a")
              B
            }
            model User { id Int @id @default(autoincrement())
              role Role @map("the_role")
              tags Tag[]
              @@map("users") }
            model Tag { id String @id
              users User[] }
            "#,
        )
        .unwrap();
        let tables = tables(&schema).unwrap();
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["users", "Tag", "_TagToUser"]);
        assert_eq!(tables[0].columns[1].name, "the_role");
        assert_eq!(
            tables[0].columns[1].source,
            Source::Enum {
                name: "Role".into(),
                labels: vec!["a".into(), "B".into()]
            }
        );
        assert!(tables[0].columns[0].autoincrement);
        assert_eq!(
            tables[2].columns[0].source,
            Source::Scalar(crate::prisma_model::ScalarType::String)
        );
        assert_eq!(
            tables[2].columns[1].source,
            Source::Scalar(crate::prisma_model::ScalarType::Int)
        );
    }

    #[test]
    fn limits_from_typmods() {
        let column = |type_name: &str, typmod: i32| TargetColumn {
            name: "c".into(),
            type_name: type_name.into(),
            is_enum: false,
            typmod,
            not_null: false,
            has_default: false,
            enum_labels: Vec::new(),
        };
        assert_eq!(
            limits(&column("numeric", (65 << 16) + 30 + 4)).numeric,
            Some((65, 30))
        );
        assert_eq!(limits(&column("timestamp", 3)).timestamp_precision, Some(3));
        assert_eq!(limits(&column("varchar", 259)).max_chars, Some(255));
        assert_eq!(limits(&column("text", -1)), Limits::default());
    }
}
