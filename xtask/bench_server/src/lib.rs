//! The plain server and the load generator of `cargo xtask bench-server`.

use shop_api::orders::v1::orders_service_server::OrdersServiceServer;
use shop_api::users::v1::users_service_server::UsersServiceServer;
use shop_server::handlers::orders_v1_orders_service::OrdersServiceHandler;
use shop_server::handlers::users_v1_users_service::UsersServiceHandler;

/// A plain hand-written tonic server with the generated server's own handlers, and nothing
/// else: the baseline. Its binaries differ only in the memory allocator.
pub async fn serve_plain() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args().nth(1).ok_or("usage: plain ADDR")?;
    tonic::transport::Server::builder()
        .add_service(UsersServiceServer::new(UsersServiceHandler::default()))
        .add_service(OrdersServiceServer::new(OrdersServiceHandler::default()))
        .serve(addr.parse()?)
        .await?;
    Ok(())
}
