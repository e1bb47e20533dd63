// The handlers of the REST end-to-end test (tests/rest_e2e.rs): each answer echoes what the
// request carried, so the test can see how path, query and body were transcoded.

use shop_api::library::v1 as pb;
use tonic::{Request, Response, Status};

#[derive(Debug, Default)]
pub struct LibraryServiceHandler {}

#[tonic::async_trait]
impl pb::library_service_server::LibraryService for LibraryServiceHandler {
    async fn get_book(
        &self,
        request: Request<pb::GetBookRequest>,
    ) -> Result<Response<pb::Book>, Status> {
        let traceparent = request
            .metadata()
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let authorization = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        // Sent over REST as `Grpc-Metadata-X-Shelf-Note`, answered as response metadata.
        let note = request.metadata().get("x-shelf-note").cloned();
        let name = request.into_inner().name;
        match name.rsplit('/').next() {
            Some("missing") => {
                let mut status = Status::not_found(format!("no book `{name}`"));
                status
                    .metadata_mut()
                    .insert("x-hint", "try another shelf".parse().unwrap());
                return Err(status);
            }
            Some("slow") => tokio::time::sleep(std::time::Duration::from_secs(5)).await,
            Some("panic") => panic!("the handler of {name} panicked on purpose"),
            Some("secret") if authorization != "Bearer good" => {
                return Err(Status::unauthenticated("a bearer token is needed"))
            }
            _ => {}
        }
        let mut response = Response::new(pb::Book {
            title: format!("Title of {name}"),
            name,
            genre: pb::Genre::History as i32,
            tags: vec!["old".into(), "rare".into()],
            pages: 9_007_199_254_740_993,
            published: Some(shop_api::prost_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
            author: Some(pb::Author {
                display_name: traceparent,
                born: Some(1900),
            }),
        });
        if let Some(note) = note {
            response.metadata_mut().insert("x-shelf-note-echo", note);
        }
        Ok(response)
    }

    async fn list_books(
        &self,
        request: Request<pb::ListBooksRequest>,
    ) -> Result<Response<pb::ListBooksResponse>, Status> {
        let r = request.into_inner();
        let filter = r.filter.unwrap_or_default();
        let echo = pb::Book {
            name: r.parent,
            title: filter.author,
            genre: r.genre,
            tags: r.tags,
            pages: r.page_size as i64,
            published: r.published_after,
            author: Some(pb::Author {
                display_name: filter
                    .max_loan
                    .map(|d| format!("{}s", d.seconds))
                    .unwrap_or_default(),
                born: r.min_pages,
            }),
        };
        Ok(Response::new(pb::ListBooksResponse {
            books: vec![echo],
            next_page_token: r.available.to_string(),
        }))
    }

    async fn create_book(
        &self,
        request: Request<pb::CreateBookRequest>,
    ) -> Result<Response<pb::Book>, Status> {
        let r = request.into_inner();
        let mut book = r
            .book
            .ok_or_else(|| Status::invalid_argument("a book is needed"))?;
        book.name = format!("{}/books/{}", r.parent, r.request_id);
        Ok(Response::new(book))
    }

    async fn update_book(
        &self,
        request: Request<pb::UpdateBookRequest>,
    ) -> Result<Response<pb::Book>, Status> {
        let r = request.into_inner();
        let mut book = r.book.unwrap_or_default();
        let mask = r.update_mask.map(|m| m.paths.join(",")).unwrap_or_default();
        book.title = format!("{} [{mask}]", book.title);
        Ok(Response::new(book))
    }

    async fn put_shelf(&self, request: Request<pb::Shelf>) -> Result<Response<pb::Shelf>, Status> {
        Ok(Response::new(request.into_inner()))
    }

    async fn delete_book(
        &self,
        request: Request<pb::DeleteBookRequest>,
    ) -> Result<Response<()>, Status> {
        let name = request.into_inner().name;
        if name.ends_with("/locked") {
            return Err(Status::permission_denied(format!("{name} is on loan")));
        }
        Ok(Response::new(()))
    }

    async fn cancel_loan(
        &self,
        request: Request<pb::CancelLoanRequest>,
    ) -> Result<Response<pb::Loan>, Status> {
        let r = request.into_inner();
        Ok(Response::new(pb::Loan {
            id: r.id,
            cancelled: true,
            reason: r.reason,
        }))
    }

    async fn search(
        &self,
        request: Request<pb::SearchRequest>,
    ) -> Result<Response<pb::SearchResponse>, Status> {
        let r = request.into_inner();
        let books: Vec<pb::Book> = r
            .genres
            .iter()
            .map(|genre| pb::Book {
                title: r.query.clone(),
                genre: *genre,
                ..Default::default()
            })
            .collect();
        Ok(Response::new(pb::SearchResponse {
            total: books.len() as i32,
            books,
        }))
    }

    async fn read_file(
        &self,
        request: Request<pb::ReadFileRequest>,
    ) -> Result<Response<pb::File>, Status> {
        let path = request.into_inner().path;
        Ok(Response::new(pb::File {
            content: format!("contents of {path}").into_bytes(),
            path,
        }))
    }

    type WatchBooksStream = shop_api::ResponseStream<pb::Book>;

    async fn watch_books(
        &self,
        request: Request<pb::WatchBooksRequest>,
    ) -> Result<Response<Self::WatchBooksStream>, Status> {
        let r = request.into_inner();
        Ok(Response::new(shop_api::runtime::stream::spawn(
            4,
            move |tx| async move {
                if r.parent == "shelves/gone" {
                    return Err(Status::not_found("shelves/gone does not exist"));
                }
                for i in 0..r.count {
                    tx.send(pb::Book {
                        name: format!("{}/books/{i}", r.parent),
                        ..Default::default()
                    })
                    .await?;
                }
                if r.parent == "shelves/broken" {
                    return Err(Status::data_loss("the shelf index is corrupt"));
                }
                Ok(())
            },
        )))
    }

    async fn audit(&self, _request: Request<()>) -> Result<Response<()>, Status> {
        Ok(Response::new(()))
    }
}
