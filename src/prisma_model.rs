//! The Prisma schema as a data model: datasources, models with their fields (scalar and enum
//! types, lists, optional, `@id`/`@@id`, `@default(autoincrement())`, `@map`, `@@map`,
//! `@relation`), enums (with `@map` on values and `@@map`), and the implicit many-to-many join
//! tables Prisma creates (`_AToB` or `_Name`, columns `A` and `B`).
//!
//! This is what `copy-data` needs to know where each value lives and what it means. It reads
//! the schema language's structure (blocks, fields, attributes with nested arguments, strings,
//! comments) and does not validate what Prisma validates: a schema Prisma rejects may be read
//! here with a best-effort meaning.

use std::collections::BTreeMap;
use std::fmt;

/// A Prisma scalar type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ScalarType {
    String,
    Int,
    BigInt,
    Float,
    Decimal,
    Boolean,
    DateTime,
    Json,
    Bytes,
}

impl ScalarType {
    pub fn from_name(name: &str) -> Option<ScalarType> {
        Some(match name {
            "String" => ScalarType::String,
            "Int" => ScalarType::Int,
            "BigInt" => ScalarType::BigInt,
            "Float" => ScalarType::Float,
            "Decimal" => ScalarType::Decimal,
            "Boolean" => ScalarType::Boolean,
            "DateTime" => ScalarType::DateTime,
            "Json" => ScalarType::Json,
            "Bytes" => ScalarType::Bytes,
            _ => return None,
        })
    }
}

impl fmt::Display for ScalarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What a field's type names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    Scalar(ScalarType),
    Enum(String),
    /// Another model: a relation field (no column of its own).
    Model(String),
    /// `Unsupported("…")`, or a name the schema does not define.
    Unsupported(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    Required,
    Optional,
    List,
}

/// `@relation(…)` arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relation {
    pub name: Option<String>,
    pub fields: Vec<String>,
    pub references: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    /// The column: `@map("…")`, else the field name.
    pub db_name: String,
    pub ty: FieldType,
    pub arity: Arity,
    pub is_id: bool,
    pub autoincrement: bool,
    pub relation: Option<Relation>,
    /// 1-based line in the schema text.
    pub line: usize,
}

impl Field {
    /// Whether the field is stored in a column of its model's table.
    pub fn is_column(&self) -> bool {
        matches!(
            self.ty,
            FieldType::Scalar(_) | FieldType::Enum(_) | FieldType::Unsupported(_)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub name: String,
    /// The table: `@@map("…")`, else the model name.
    pub db_name: String,
    /// `@@schema("…")` (multiSchema).
    pub schema: Option<String>,
    pub fields: Vec<Field>,
    /// Field names of the primary key (`@id` or `@@id`); empty when the model has none.
    pub primary_key: Vec<String>,
    pub line: usize,
}

impl Model {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumValue {
    pub name: String,
    /// The stored label: `@map("…")`, else the name.
    pub db_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enum {
    pub name: String,
    /// The PostgreSQL type: `@@map("…")`, else the name.
    pub db_name: String,
    pub values: Vec<EnumValue>,
}

/// A datasource's `url` (Prisma ≤ 6 keeps it in the schema).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlValue {
    Literal(String),
    Env(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datasource {
    pub name: String,
    pub provider: Option<String>,
    pub url: Option<UrlValue>,
}

/// An implicit many-to-many relation's join table: `_{name}` with columns `A` (the id of the
/// model whose name sorts first) and `B`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinTable {
    /// `_AToB`, or `_` and the relation's name.
    pub table: String,
    /// Model names for columns `A` and `B`.
    pub a: String,
    pub b: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    pub datasources: Vec<Datasource>,
    pub models: Vec<Model>,
    pub enums: Vec<Enum>,
}

/// A schema the reader cannot make sense of.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl Schema {
    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }

    pub fn enum_named(&self, name: &str) -> Option<&Enum> {
        self.enums.iter().find(|e| e.name == name)
    }

    /// Reads one schema file, or several (a `prismaSchemaFolder`) concatenated in any order.
    pub fn parse(text: &str) -> Result<Schema, ParseError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser { tokens, at: 0 };
        let mut schema = Schema::default();
        let mut raw_models = Vec::new();
        while let Some(token) = parser.peek() {
            let line = token.line;
            let keyword = parser.ident()?;
            match keyword.as_str() {
                "model" | "view" | "type" | "enum" => {
                    let name = parser.ident()?;
                    let body = parser.block()?;
                    match keyword.as_str() {
                        "model" => raw_models.push((name, body, line)),
                        "enum" => schema.enums.push(read_enum(name, &body)?),
                        // Views have no rows to copy; composite types are MongoDB's.
                        _ => {}
                    }
                }
                "datasource" => {
                    let name = parser.ident()?;
                    let body = parser.block()?;
                    schema.datasources.push(read_datasource(name, &body));
                }
                "generator" => {
                    parser.ident()?;
                    parser.block()?;
                }
                other => {
                    return Err(ParseError {
                        line,
                        message: format!(
                            "expected `model`, `enum`, `datasource`, `generator`, `view` or `type`, found `{other}`"
                        ),
                    });
                }
            }
        }
        let enum_names: Vec<String> = schema.enums.iter().map(|e| e.name.clone()).collect();
        let model_names: Vec<String> = raw_models.iter().map(|m| m.0.clone()).collect();
        for (name, body, line) in raw_models {
            schema
                .models
                .push(read_model(name, &body, line, &enum_names, &model_names)?);
        }
        Ok(schema)
    }

    /// The join tables of the implicit many-to-many relations, in schema order.
    pub fn join_tables(&self) -> Vec<JoinTable> {
        let mut out: Vec<JoinTable> = Vec::new();
        for model in &self.models {
            for field in &model.fields {
                let FieldType::Model(other) = &field.ty else {
                    continue;
                };
                if field.arity != Arity::List {
                    continue;
                }
                let name = field.relation.as_ref().and_then(|r| r.name.clone());
                let Some(other_model) = self.model(other) else {
                    continue;
                };
                // The opposite side: a list field back to this model with the same relation
                // name (for a self relation, another field than this one).
                let opposite = other_model.fields.iter().find(|f| {
                    f.ty == FieldType::Model(model.name.clone())
                        && f.relation.as_ref().and_then(|r| r.name.clone()) == name
                        && !(other_model.name == model.name && f.name == field.name)
                });
                let Some(opposite) = opposite else { continue };
                if opposite.arity != Arity::List {
                    continue;
                }
                let (a, b) = if model.name <= *other {
                    (model.name.clone(), other.clone())
                } else {
                    (other.clone(), model.name.clone())
                };
                let table = match name {
                    Some(name) => format!("_{name}"),
                    None => format!("_{a}To{b}"),
                };
                if !out.iter().any(|j| j.table == table) {
                    out.push(JoinTable { table, a, b });
                }
            }
        }
        out
    }

    /// The first datasource.
    pub fn datasource(&self) -> Option<&Datasource> {
        self.datasources.first()
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Punct(char),
    Newline,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut line = 1;
    while let Some((_, c)) = chars.next() {
        match c {
            '\n' => {
                tokens.push(Token {
                    tok: Tok::Newline,
                    line,
                });
                line += 1;
            }
            c if c.is_whitespace() => {}
            '/' if chars.peek().map(|p| p.1) == Some('/') => {
                while let Some(&(_, c)) = chars.peek() {
                    if c == '\n' {
                        break;
                    }
                    chars.next();
                }
            }
            '/' if chars.peek().map(|p| p.1) == Some('*') => {
                chars.next();
                let mut previous = ' ';
                loop {
                    let Some((_, c)) = chars.next() else {
                        return Err(ParseError {
                            line,
                            message: "unclosed /* comment".into(),
                        });
                    };
                    if c == '\n' {
                        line += 1;
                    }
                    if previous == '*' && c == '/' {
                        break;
                    }
                    previous = c;
                }
            }
            '"' => {
                let start_line = line;
                let mut value = String::new();
                loop {
                    let Some((_, c)) = chars.next() else {
                        return Err(ParseError {
                            line: start_line,
                            message: "unclosed string".into(),
                        });
                    };
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some((_, 'n')) => value.push('\n'),
                            Some((_, 't')) => value.push('\t'),
                            Some((_, 'r')) => value.push('\r'),
                            Some((_, other)) => value.push(other),
                            None => {}
                        },
                        '\n' => {
                            return Err(ParseError {
                                line: start_line,
                                message: "a string runs past the end of its line".into(),
                            });
                        }
                        c => value.push(c),
                    }
                }
                tokens.push(Token {
                    tok: Tok::Str(value),
                    line: start_line,
                });
            }
            c if c.is_alphanumeric() || c == '_' || c == '-' => {
                let mut word = String::from(c);
                while let Some(&(_, n)) = chars.peek() {
                    if n.is_alphanumeric() || n == '_' || n == '-' || n == '.' {
                        word.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token {
                    tok: Tok::Ident(word),
                    line,
                });
            }
            c => tokens.push(Token {
                tok: Tok::Punct(c),
                line,
            }),
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn skip_newlines(&mut self) {
        while matches!(
            self.tokens.get(self.at),
            Some(Token {
                tok: Tok::Newline,
                ..
            })
        ) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<&Token> {
        self.skip_newlines();
        self.tokens.get(self.at)
    }

    fn line(&self) -> usize {
        self.tokens
            .get(self.at)
            .or(self.tokens.last())
            .map_or(1, |t| t.line)
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            line: self.line(),
            message: message.into(),
        }
    }

    fn ident(&mut self) -> Result<String, ParseError> {
        self.skip_newlines();
        match self.tokens.get(self.at) {
            Some(Token {
                tok: Tok::Ident(word),
                ..
            }) => {
                self.at += 1;
                Ok(word.clone())
            }
            other => Err(self.error(format!("expected a name, found {}", describe(other)))),
        }
    }

    /// `{ … }` as lines of tokens (newlines inside parentheses or brackets do not end a line).
    fn block(&mut self) -> Result<Vec<Vec<Token>>, ParseError> {
        self.skip_newlines();
        match self.tokens.get(self.at) {
            Some(Token {
                tok: Tok::Punct('{'),
                ..
            }) => self.at += 1,
            other => return Err(self.error(format!("expected `{{`, found {}", describe(other)))),
        }
        let mut lines = Vec::new();
        let mut current = Vec::new();
        let mut depth = 0usize;
        loop {
            let Some(token) = self.tokens.get(self.at).cloned() else {
                return Err(self.error("a block is not closed with `}`"));
            };
            self.at += 1;
            match token.tok {
                Tok::Punct('}') if depth == 0 => {
                    if !current.is_empty() {
                        lines.push(current);
                    }
                    return Ok(lines);
                }
                Tok::Newline if depth == 0 => {
                    if !current.is_empty() {
                        lines.push(std::mem::take(&mut current));
                    }
                }
                Tok::Newline => {}
                Tok::Punct('(' | '[' | '{') => {
                    depth += 1;
                    current.push(token);
                }
                Tok::Punct(')' | ']' | '}') => {
                    depth = depth.saturating_sub(1);
                    current.push(token);
                }
                _ => current.push(token),
            }
        }
    }
}

fn describe(token: Option<&Token>) -> String {
    match token.map(|t| &t.tok) {
        None => "the end of the schema".into(),
        Some(Tok::Ident(w)) => format!("`{w}`"),
        Some(Tok::Str(s)) => format!("\"{s}\""),
        Some(Tok::Punct(c)) => format!("`{c}`"),
        Some(Tok::Newline) => "the end of the line".into(),
    }
}

/// An attribute: `@name(args)` or `@@name(args)`; arguments as raw tokens split at top-level
/// commas, each with its optional `key:`.
#[derive(Debug)]
struct Attribute {
    name: String,
    block: bool,
    args: Vec<(Option<String>, Vec<Tok>)>,
}

impl Attribute {
    /// The positional argument or the one named `key`.
    fn arg(&self, key: &str, position: usize) -> Option<&[Tok]> {
        if let Some((_, value)) = self.args.iter().find(|(k, _)| k.as_deref() == Some(key)) {
            return Some(value);
        }
        self.args
            .iter()
            .filter(|(k, _)| k.is_none())
            .nth(position)
            .map(|(_, v)| v.as_slice())
    }

    fn string_arg(&self, key: &str, position: usize) -> Option<String> {
        match self.arg(key, position) {
            Some([Tok::Str(s)]) => Some(s.clone()),
            _ => None,
        }
    }

    fn list_arg(&self, key: &str, position: usize) -> Vec<String> {
        let Some(tokens) = self.arg(key, position) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut depth = 0;
        for tok in tokens {
            match tok {
                Tok::Punct('[') => depth += 1,
                Tok::Punct(']') => depth -= 1,
                Tok::Punct('(') => depth += 10,
                Tok::Punct(')') => depth -= 10,
                Tok::Ident(name) if depth == 1 => out.push(name.clone()),
                _ => {}
            }
        }
        out
    }
}

/// Splits a line's tokens into the leading part and its attributes.
fn attributes(tokens: &[Token]) -> (Vec<Tok>, Vec<Attribute>) {
    let mut head = Vec::new();
    let mut attrs = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].tok == Tok::Punct('@') {
            let mut block = false;
            i += 1;
            if tokens.get(i).map(|t| &t.tok) == Some(&Tok::Punct('@')) {
                block = true;
                i += 1;
            }
            let name = match tokens.get(i).map(|t| &t.tok) {
                Some(Tok::Ident(n)) => n.clone(),
                _ => String::new(),
            };
            i += 1;
            let mut args = Vec::new();
            if tokens.get(i).map(|t| &t.tok) == Some(&Tok::Punct('(')) {
                i += 1;
                let mut depth = 0;
                let mut current: Vec<Tok> = Vec::new();
                while i < tokens.len() {
                    let tok = tokens[i].tok.clone();
                    i += 1;
                    match tok {
                        Tok::Punct(')') if depth == 0 => break,
                        Tok::Punct(',') if depth == 0 => {
                            args.push(split_key(std::mem::take(&mut current)));
                        }
                        Tok::Punct('(' | '[' | '{') => {
                            depth += 1;
                            current.push(tok);
                        }
                        Tok::Punct(')' | ']' | '}') => {
                            depth -= 1;
                            current.push(tok);
                        }
                        _ => current.push(tok),
                    }
                }
                if !current.is_empty() {
                    args.push(split_key(current));
                }
            }
            attrs.push(Attribute { name, block, args });
        } else {
            head.push(tokens[i].tok.clone());
            i += 1;
        }
    }
    (head, attrs)
}

fn split_key(tokens: Vec<Tok>) -> (Option<String>, Vec<Tok>) {
    if let [Tok::Ident(key), Tok::Punct(':'), ..] = tokens.as_slice() {
        return (Some(key.clone()), tokens[2..].to_vec());
    }
    (None, tokens)
}

fn read_datasource(name: String, body: &[Vec<Token>]) -> Datasource {
    let mut source = Datasource {
        name,
        provider: None,
        url: None,
    };
    for line in body {
        let toks: Vec<&Tok> = line.iter().map(|t| &t.tok).collect();
        match toks.as_slice() {
            [Tok::Ident(key), Tok::Punct('='), Tok::Str(value)] if key == "provider" => {
                source.provider = Some(value.clone());
            }
            [Tok::Ident(key), Tok::Punct('='), Tok::Str(value)] if key == "url" => {
                source.url = Some(UrlValue::Literal(value.clone()));
            }
            [
                Tok::Ident(key),
                Tok::Punct('='),
                Tok::Ident(env),
                Tok::Punct('('),
                Tok::Str(var),
                Tok::Punct(')'),
            ] if key == "url" && env == "env" => {
                source.url = Some(UrlValue::Env(var.clone()));
            }
            _ => {}
        }
    }
    source
}

fn read_enum(name: String, body: &[Vec<Token>]) -> Result<Enum, ParseError> {
    let mut db_name = name.clone();
    let mut values = Vec::new();
    for line in body {
        let (head, attrs) = attributes(line);
        if head.is_empty() {
            for attr in attrs.iter().filter(|a| a.block && a.name == "map") {
                if let Some(mapped) = attr.string_arg("name", 0) {
                    db_name = mapped;
                }
            }
            continue;
        }
        let Some(Tok::Ident(value)) = head.first() else {
            return Err(ParseError {
                line: line[0].line,
                message: format!("enum {name}: expected a value name"),
            });
        };
        let mapped = attrs
            .iter()
            .find(|a| !a.block && a.name == "map")
            .and_then(|a| a.string_arg("name", 0));
        values.push(EnumValue {
            name: value.clone(),
            db_name: mapped.unwrap_or_else(|| value.clone()),
        });
    }
    Ok(Enum {
        name,
        db_name,
        values,
    })
}

fn read_model(
    name: String,
    body: &[Vec<Token>],
    line: usize,
    enums: &[String],
    models: &[String],
) -> Result<Model, ParseError> {
    let mut model = Model {
        db_name: name.clone(),
        name,
        schema: None,
        fields: Vec::new(),
        primary_key: Vec::new(),
        line,
    };
    for tokens in body {
        let field_line = tokens[0].line;
        let (head, attrs) = attributes(tokens);
        if head.is_empty() {
            for attr in attrs.iter().filter(|a| a.block) {
                match attr.name.as_str() {
                    "map" => {
                        if let Some(mapped) = attr.string_arg("name", 0) {
                            model.db_name = mapped;
                        }
                    }
                    "id" => model.primary_key = attr.list_arg("fields", 0),
                    "schema" => model.schema = attr.string_arg("name", 0),
                    _ => {}
                }
            }
            continue;
        }
        let error = |message: String| ParseError {
            line: field_line,
            message: format!("model {}: {message}", model.name),
        };
        let (field_name, rest) = match head.as_slice() {
            [Tok::Ident(field), rest @ ..] => (field.clone(), rest),
            _ => return Err(error("expected a field name".into())),
        };
        let (type_name, modifiers) = match rest {
            [Tok::Ident(ty), rest @ ..] => (ty.clone(), rest),
            _ => return Err(error(format!("field `{field_name}` has no type"))),
        };
        let arity = match modifiers {
            [] => Arity::Required,
            [Tok::Punct('?')] => Arity::Optional,
            [Tok::Punct('['), Tok::Punct(']')] => Arity::List,
            [Tok::Punct('('), ..] if type_name == "Unsupported" => {
                if modifiers.last() == Some(&Tok::Punct('?')) {
                    Arity::Optional
                } else {
                    Arity::Required
                }
            }
            _ => {
                return Err(error(format!(
                    "field `{field_name}`: cannot read the type `{type_name}…`"
                )));
            }
        };
        let ty = if let Some(scalar) = ScalarType::from_name(&type_name) {
            FieldType::Scalar(scalar)
        } else if enums.contains(&type_name) {
            FieldType::Enum(type_name)
        } else if models.contains(&type_name) {
            FieldType::Model(type_name)
        } else {
            FieldType::Unsupported(type_name)
        };
        let mut field = Field {
            db_name: field_name.clone(),
            name: field_name,
            ty,
            arity,
            is_id: false,
            autoincrement: false,
            relation: None,
            line: field_line,
        };
        for attr in attrs.iter().filter(|a| !a.block) {
            match attr.name.as_str() {
                "map" => {
                    if let Some(mapped) = attr.string_arg("name", 0) {
                        field.db_name = mapped;
                    }
                }
                "id" => field.is_id = true,
                "default" => {
                    if let Some([Tok::Ident(function), Tok::Punct('('), Tok::Punct(')')]) =
                        attr.arg("value", 0)
                    {
                        field.autoincrement = function == "autoincrement";
                    }
                }
                "relation" => {
                    field.relation = Some(Relation {
                        name: attr.string_arg("name", 0),
                        fields: attr.list_arg("fields", usize::MAX),
                        references: attr.list_arg("references", usize::MAX),
                    });
                }
                _ => {}
            }
        }
        if field.is_id {
            model.primary_key = vec![field.name.clone()];
        }
        model.fields.push(field);
    }
    Ok(model)
}

/// Field names by column name, for messages.
pub fn columns_by_name(model: &Model) -> BTreeMap<&str, &Field> {
    model
        .fields
        .iter()
        .filter(|f| f.is_column())
        .map(|f| (f.db_name.as_str(), f))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"
// A comment { with braces }
datasource db {
  provider = "sqlite"
  url      = env("DATABASE_URL")
}

generator client {
  provider = "prisma-client-js"
}

/// Who may do what.
enum Role {
  USER
  ADMIN @map("administrator")
  @@map("role_kind")
}

model User {
  id        Int      @id @default(autoincrement())
  email     String   @unique @map("e_mail")
  role      Role     @default(USER)
  tags      String[]
  bio       String?  @default("a \"quoted\" // not a comment")
  managerId Int?     @map("manager_id")
  manager   User?    @relation("Management", fields: [managerId], references: [id], onDelete: SetNull)
  reports   User[]   @relation("Management")
  posts     Post[]
  liked     Post[]   @relation(name: "Likes")
  friends   User[]   @relation("Friends")
  friendOf  User[]   @relation("Friends")
  legacy    Unsupported("circle")?
  @@map("users")
}

model Post {
  id      String @id @default(cuid())
  author  User   @relation(fields: [authorId], references: [id])
  authorId Int
  likedBy User[] @relation("Likes")
  categories Category[]
}

model Category {
  slug  String
  shard Int
  posts Post[]
  @@id([slug, shard])
}

view Summary {
  id Int @unique
}
"#;

    #[test]
    fn reads_models_fields_and_enums() {
        let schema = Schema::parse(SCHEMA).unwrap();
        assert_eq!(
            schema.datasource().unwrap().url,
            Some(UrlValue::Env("DATABASE_URL".into()))
        );
        assert_eq!(
            schema.datasource().unwrap().provider.as_deref(),
            Some("sqlite")
        );
        let role = schema.enum_named("Role").unwrap();
        assert_eq!(role.db_name, "role_kind");
        assert_eq!(
            role.values
                .iter()
                .map(|v| (v.name.as_str(), v.db_name.as_str()))
                .collect::<Vec<_>>(),
            [("USER", "USER"), ("ADMIN", "administrator")]
        );
        let user = schema.model("User").unwrap();
        assert_eq!(user.db_name, "users");
        assert_eq!(user.primary_key, ["id"]);
        let id = user.field("id").unwrap();
        assert!(id.is_id && id.autoincrement);
        assert_eq!(id.ty, FieldType::Scalar(ScalarType::Int));
        assert_eq!(user.field("email").unwrap().db_name, "e_mail");
        assert_eq!(
            user.field("role").unwrap().ty,
            FieldType::Enum("Role".into())
        );
        assert_eq!(user.field("tags").unwrap().arity, Arity::List);
        assert_eq!(user.field("bio").unwrap().arity, Arity::Optional);
        assert!(!user.field("bio").unwrap().autoincrement);
        let manager = user.field("manager").unwrap();
        assert_eq!(
            manager.relation,
            Some(Relation {
                name: Some("Management".into()),
                fields: vec!["managerId".into()],
                references: vec!["id".into()],
            })
        );
        assert!(!manager.is_column());
        assert_eq!(
            user.field("legacy").unwrap().ty,
            FieldType::Unsupported("Unsupported".into())
        );
        assert_eq!(user.field("legacy").unwrap().arity, Arity::Optional);
        let category = schema.model("Category").unwrap();
        assert_eq!(category.primary_key, ["slug", "shard"]);
        assert!(schema.model("Summary").is_none(), "views hold no rows");
    }

    #[test]
    fn implicit_many_to_many_join_tables() {
        let schema = Schema::parse(SCHEMA).unwrap();
        let tables: Vec<(String, String, String)> = schema
            .join_tables()
            .into_iter()
            .map(|j| (j.table, j.a, j.b))
            .collect();
        assert_eq!(
            tables,
            [
                ("_Likes".to_string(), "Post".to_string(), "User".to_string()),
                ("_Friends".into(), "User".into(), "User".into()),
                ("_CategoryToPost".into(), "Category".into(), "Post".into()),
            ]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let err = Schema::parse("model A {\n  id Int @id\n  broken\n}\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("no type"), "{err}");
        let err = Schema::parse("model A {\n  id Int @id\n").unwrap_err();
        assert!(err.message.contains("not closed"), "{err}");
    }
}
