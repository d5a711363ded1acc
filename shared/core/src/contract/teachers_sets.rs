//! Teachers and sets.

use super::fixtures::*;
use crate::catalog::{LangMap, OaiSet, Teacher};
use crate::store::{CatalogStore, StoreError};

pub async fn teachers_put_get_list_delete<S: CatalogStore>(store: S) {
    assert!(store.list_teachers().await.unwrap().is_empty());
    let rossi = teacher("rossi", "Rossi");
    let bare = Teacher {
        id: tid("Zeta"),
        first_name: String::new(),
        last_name: "Zeta".to_owned(),
        image: None,
        descriptions: LangMap::new(),
    };
    let uuid = teacher("0b7d4c52-3f6e-4a51-9c1e-2a9f8e6d4b10", "Bianchi");
    for t in [&rossi, &bare, &uuid] {
        store.put_teacher(t.clone()).await.unwrap();
    }
    let asked = [tid("rossi"), tid("unknown"), uuid.id.clone(), tid("Zeta")];
    let got = store.get_teachers(&asked).await.unwrap();
    assert_eq!(
        got,
        [rossi.clone(), uuid.clone(), bare.clone()],
        "order asked, unknown left out"
    );
    assert!(store.get_teachers(&[]).await.unwrap().is_empty());

    // Byte order of ids: digits, then upper case, then lower case.
    let list = store.list_teachers().await.unwrap();
    assert_eq!(list, [uuid.clone(), bare.clone(), rossi.clone()]);

    let mut renamed = rossi.clone();
    renamed.last_name = "Rossi-Verdi".to_owned();
    renamed.image = None;
    store.put_teacher(renamed.clone()).await.unwrap();
    assert_eq!(
        store.get_teachers(&[tid("rossi")]).await.unwrap(),
        [renamed]
    );
    assert_eq!(
        store.list_teachers().await.unwrap().len(),
        3,
        "replaced, not added"
    );

    store.delete_teacher(&tid("Zeta")).await.unwrap();
    assert_eq!(store.list_teachers().await.unwrap().len(), 2);
    assert!(store.get_teachers(&[tid("Zeta")]).await.unwrap().is_empty());
    let r = store.delete_teacher(&tid("Zeta")).await;
    assert!(matches!(r, Err(StoreError::NotFound)), "got {r:?}");
}

pub async fn sets_put_list_delete<S: CatalogStore>(store: S) {
    assert!(store.list_sets().await.unwrap().is_empty());
    let set = |s: &str, n: &str| OaiSet {
        spec: spec(s),
        name: n.to_owned(),
    };
    for s in [
        set("math", "Maths"),
        set("EcoBase", "ECO"),
        set("math:algebra", "Algèbre"),
    ] {
        store.put_set(s).await.unwrap();
    }
    store.put_set(set("math", "Mathematics")).await.unwrap();
    let list = store.list_sets().await.unwrap();
    assert_eq!(
        list,
        [
            set("EcoBase", "ECO"),
            set("math", "Mathematics"),
            set("math:algebra", "Algèbre")
        ]
    );
    store.delete_set(&spec("math")).await.unwrap();
    assert_eq!(store.list_sets().await.unwrap().len(), 2);
    let r = store.delete_set(&spec("math")).await;
    assert!(matches!(r, Err(StoreError::NotFound)), "got {r:?}");
}
