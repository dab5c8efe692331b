//! Small builders the migrations share, so each migration reads as its schema.

use sea_orm_migration::prelude::*;

/// An index over `cols` of `table`.
pub(crate) fn index<T: IntoIden + 'static>(
    name: &str,
    table: T,
    cols: &[&'static str],
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(Alias::new(*col));
    }
    index.take()
}

/// A unique index over `cols` of `table`.
pub(crate) fn unique_index<T: IntoIden + 'static>(
    name: &str,
    table: T,
    cols: &[&'static str],
) -> IndexCreateStatement {
    index(name, table, cols).unique().take()
}

/// A named foreign key from `from.column` to `to.id`.
pub(crate) fn fk<F: IntoIden, C: IntoIden, T: IntoIden, I: IntoIden>(
    name: &str,
    from: F,
    column: C,
    to: T,
    id: I,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from, column)
        .to(to, id)
        .on_delete(on_delete)
        .take()
}
