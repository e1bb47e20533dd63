//! Scenarios for the generated runtime, on loopback: each starts a server in-process with
//! handlers whose behaviour the test steers, and calls it through the generated clients.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use shop_api::orders::v1::orders_service_server::{OrdersService, OrdersServiceServer};
use shop_api::orders::v1::{
    CreateOrderRequest, LineItem, ListOrdersRequest, Order, OrderEvent, TrackRequest,
};
use shop_api::runtime::{
    self, stream::ResponseStream, CallOptions, ClientSettings, Denied, Incoming, Principal,
    ServerConfig, ServerSettings, Shutdown, Target, TraceContext, Transport, Verdict,
};
use shop_api::users::v1::users_service_server::{UsersService, UsersServiceServer};
use shop_api::users::v1::{User, UserById, UserFilter};
use shop_client::orders::v1::OrdersServiceClient;
use shop_client::users::v1::UsersServiceClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_stream::StreamExt;
use tonic::{Code, Request, Response, Status, Streaming};

// ---------------------------------------------------------------------------------------------
// Handlers the tests steer through `Knobs`.

#[derive(Default)]
struct Knobs {
    /// Calls of FindOne and CreateOrder that reached the handler.
    find_one_calls: AtomicU32,
    create_calls: AtomicU32,
    /// Fail this many calls of the "flaky" kind with UNAVAILABLE before succeeding.
    fail_next: AtomicU32,
    /// CreateOrder answers UNAVAILABLE while set.
    down: AtomicBool,
}

struct Users {
    knobs: Arc<Knobs>,
}

fn user(id: &str) -> User {
    User {
        id: id.to_owned(),
        email: format!("{id}@example.com"),
        name: id.to_owned(),
        role: "member".to_owned(),
    }
}

#[tonic::async_trait]
impl UsersService for Users {
    async fn find_one(&self, request: Request<UserById>) -> Result<Response<User>, Status> {
        self.knobs.find_one_calls.fetch_add(1, Ordering::SeqCst);
        let from_extensions = request.extensions().get::<TraceContext>().copied();
        match request.get_ref().id.as_str() {
            "flaky" => {
                if take_failure(&self.knobs) {
                    return Err(Status::unavailable("flaky: try again"));
                }
                Ok(Response::new(user("flaky")))
            }
            "slow" => {
                tokio::time::sleep(Duration::from_secs(3)).await;
                Ok(Response::new(user("slow")))
            }
            "panic" => panic!("the handler blew up on purpose"),
            "missing" => Err(Status::not_found("no user `missing`")),
            // Who the guard says is calling.
            "whoami" => {
                let principal = request.extensions().get::<Principal>();
                Ok(Response::new(user(
                    &principal.map_or("nobody".into(), |p| p.subject.clone()),
                )))
            }
            "trace" => {
                // What the handler sees: the task-local context and the request extension.
                let current = runtime::trace::current().expect("a trace context in the handler");
                assert_eq!(Some(current), from_extensions);
                Ok(Response::new(User {
                    id: "trace".into(),
                    name: current.trace_id_hex().to_string(),
                    role: format!("{:016x}", current.parent_span_id.unwrap_or_default()),
                    email: String::new(),
                }))
            }
            id => Ok(Response::new(user(id))),
        }
    }

    type FindManyStream = ResponseStream<User>;

    async fn find_many(
        &self,
        request: Request<UserFilter>,
    ) -> Result<Response<Self::FindManyStream>, Status> {
        let filter = request.into_inner();
        let limit = filter.limit.max(0) as usize;
        let stream: ResponseStream<User> = match filter.role.as_str() {
            // A slow stream: `limit` users, 50 ms apart.
            "slow" => runtime::stream::spawn(4, move |tx| async move {
                for i in 0..limit {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    tx.send(user(&format!("u{i}"))).await?;
                }
                Ok(())
            }),
            // One user, then nothing, for ever.
            "idle" => runtime::stream::spawn(4, |tx| async move {
                tx.send(user("a")).await?;
                std::future::pending::<()>().await;
                Ok(())
            }),
            // Two users, then the producer gives up with a status.
            "fail" => runtime::stream::spawn(4, |tx| async move {
                tx.send(user("a")).await?;
                tx.send(user("b")).await?;
                Err(Status::failed_precondition(
                    "the user index is being rebuilt",
                ))
            }),
            // Two users, then the producer task panics.
            "panic-task" => runtime::stream::spawn(4, |tx| async move {
                tx.send(user("a")).await?;
                tx.send(user("b")).await?;
                panic!("producer blew up on purpose")
            }),
            // A stream polled by the server itself, panicking on its third item.
            "panic-poll" => Box::pin(tokio_stream::iter(0..5).map(|i| {
                if i == 2 {
                    panic!("stream blew up on purpose");
                }
                Ok(user(&format!("u{i}")))
            })),
            _ => Box::pin(tokio_stream::iter(
                (0..limit).map(|i| Ok(user(&format!("u{i}")))),
            )),
        };
        Ok(Response::new(stream))
    }
}

fn take_failure(knobs: &Knobs) -> bool {
    knobs
        .fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

struct Orders {
    knobs: Arc<Knobs>,
    /// The orders service calls the users service, to prove trace propagation across a hop.
    users: UsersServiceClient,
}

fn order(id: &str) -> Order {
    Order {
        id: id.to_owned(),
        ..Default::default()
    }
}

#[tonic::async_trait]
impl OrdersService for Orders {
    async fn create_order(
        &self,
        request: Request<CreateOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        self.knobs.create_calls.fetch_add(1, Ordering::SeqCst);
        let user_id = request.into_inner().user_id;
        if self.knobs.down.load(Ordering::SeqCst) {
            return Err(Status::unavailable("orders database is down"));
        }
        if user_id == "flaky" && take_failure(&self.knobs) {
            return Err(Status::unavailable("flaky: try again"));
        }
        let mut created = order("o1");
        if user_id == "trace" {
            let here = runtime::trace::current().expect("a trace context in the handler");
            created
                .labels
                .insert("trace_id".into(), here.trace_id_hex().to_string());
            created
                .labels
                .insert("span_id".into(), format!("{:016x}", here.span_id));
            let customer = self
                .users
                .clone()
                .find_one(UserById { id: "trace".into() })
                .await?;
            created.customer = Some(customer.into_inner());
        }
        Ok(Response::new(created))
    }

    type ListOrdersStream = ResponseStream<Order>;

    async fn list_orders(
        &self,
        _request: Request<ListOrdersRequest>,
    ) -> Result<Response<Self::ListOrdersStream>, Status> {
        Ok(Response::new(Box::pin(tokio_stream::iter(vec![
            Ok(order("o1")),
            Ok(order("o2")),
        ]))))
    }

    async fn upload_items(
        &self,
        request: Request<tonic::Streaming<LineItem>>,
    ) -> Result<Response<Order>, Status> {
        let mut items = request.into_inner();
        let mut created = order("uploaded");
        while let Some(item) = items.next().await {
            created.items.push(item?);
        }
        Ok(Response::new(created))
    }

    type TrackOrdersStream = ResponseStream<OrderEvent>;

    async fn track_orders(
        &self,
        request: Request<tonic::Streaming<TrackRequest>>,
    ) -> Result<Response<Self::TrackOrdersStream>, Status> {
        let mut requests = request.into_inner();
        Ok(Response::new(runtime::stream::spawn(4, |tx| async move {
            while let Some(track) = requests.next().await {
                tx.send(OrderEvent {
                    order_id: track?.order_id,
                    ..Default::default()
                })
                .await?;
            }
            Ok(())
        })))
    }
}

// ---------------------------------------------------------------------------------------------
// Harness.

struct Harness {
    knobs: Arc<Knobs>,
    server: runtime::RunningServer,
}

impl Harness {
    async fn start(configure: impl FnOnce(&mut ServerConfig)) -> Harness {
        Self::start_with(configure, |server| server).await
    }

    /// Like [`Harness::start`], with the server builder handed to `customize` (a guard).
    async fn start_with(
        configure: impl FnOnce(&mut ServerConfig),
        customize: impl FnOnce(runtime::Server) -> runtime::Server,
    ) -> Harness {
        let mut config = ServerConfig::local();
        config.log_filter = "warn".into();
        configure(&mut config);
        let _telemetry = runtime::init_tracing(&config);
        let knobs = Arc::new(Knobs::default());
        // The orders service calls users on this very server: bind first, then point at it.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        config.grpc_addr = addr;
        let users_client = UsersServiceClient::new(target(addr, settings()));
        let knobs_for_route = knobs.clone();
        let server = runtime::Server::new(config);
        let server = customize(server)
            .add_service(UsersServiceServer::new(Users {
                knobs: knobs.clone(),
            }))
            .add_service(OrdersServiceServer::new(Orders {
                knobs: knobs.clone(),
                users: users_client,
            }))
            // An HTTP route of the application's own, sharing state with the handlers.
            .http_routes(axum::Router::new().route(
                "/calls",
                axum::routing::get(move || {
                    let knobs = knobs_for_route.clone();
                    async move { knobs.find_one_calls.load(Ordering::SeqCst).to_string() }
                }),
            ))
            .start()
            .await
            .expect("server starts");
        Harness { knobs, server }
    }

    fn grpc(&self) -> SocketAddr {
        self.server.grpc_addr()
    }

    fn http(&self) -> SocketAddr {
        self.server.http_addr().expect("HTTP listener on")
    }

    fn users(&self) -> UsersServiceClient {
        UsersServiceClient::new(target(self.grpc(), settings()))
    }

    fn orders(&self) -> (OrdersServiceClient, Target) {
        let target = target(self.grpc(), settings());
        (OrdersServiceClient::new(target.clone()), target)
    }
}

/// Settings for tests: short backoffs, a breaker that opens after 3 failures.
fn settings() -> ClientSettings {
    ClientSettings::from_protogen_toml(
        r#"
        [client]
        deadline = "5s"
        [client.retry]
        max_attempts = 3
        initial_backoff = "10ms"
        max_backoff = "50ms"
        [client.breaker]
        failures = 3
        cooldown = "300ms"
        "#,
    )
    .unwrap()
}

fn target(addr: SocketAddr, settings: ClientSettings) -> Target {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_lazy();
    Target::with_settings(addr.to_string(), channel, settings)
}

async fn channel(addr: SocketAddr) -> tonic::transport::Channel {
    tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// A users client over a bare HTTP/2 connection. tonic's own channel enforces `grpc-timeout`
/// itself (and reports CANCELLED), which would hide what the server does with a deadline.
async fn timerless_users_client(
    addr: SocketAddr,
) -> shop_api::users::v1::users_service_client::UsersServiceClient<
    impl tonic::client::GrpcService<tonic::body::Body, ResponseBody = hyper::body::Incoming>,
> {
    let io = hyper_util::rt::TokioIo::new(tokio::net::TcpStream::connect(addr).await.unwrap());
    let (sender, connection) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
            .await
            .unwrap();
    tokio::spawn(connection);
    let service = tower::service_fn(move |request: http::Request<tonic::body::Body>| {
        let mut sender = sender.clone();
        async move { sender.send_request(request).await }
    });
    shop_api::users::v1::users_service_client::UsersServiceClient::with_origin(
        service,
        format!("http://{addr}").parse().unwrap(),
    )
}

async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    http_get_with(addr, path, "").await
}

/// A GET with extra header lines (`name: value\r\n`).
async fn http_get_with(addr: SocketAddr, path: &str, headers: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The value of the first sample whose line starts with `series` (name and labels).
fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series).map(str::trim))
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_rpc_is_retried_and_a_non_idempotent_one_is_not() {
    let h = Harness::start(|_| {}).await;

    // FindOne is NO_SIDE_EFFECTS in the contract: two UNAVAILABLEs, then success.
    h.knobs.fail_next.store(2, Ordering::SeqCst);
    let found = h.users().find_one(UserById { id: "flaky".into() }).await;
    assert_eq!(found.expect("retried to success").into_inner().id, "flaky");
    assert_eq!(h.knobs.find_one_calls.load(Ordering::SeqCst), 3);

    // CreateOrder has no idempotency level: one attempt, and the caller sees the failure.
    h.knobs.fail_next.store(2, Ordering::SeqCst);
    let created = h
        .orders()
        .0
        .create_order(CreateOrderRequest {
            user_id: "flaky".into(),
            items: vec![],
        })
        .await;
    assert_eq!(created.unwrap_err().code(), Code::Unavailable);
    assert_eq!(h.knobs.create_calls.load(Ordering::SeqCst), 1);

    // Non-retryable codes are never retried, even for an idempotent RPC.
    let before = h.knobs.find_one_calls.load(Ordering::SeqCst);
    let missing = h
        .users()
        .find_one(UserById {
            id: "missing".into(),
        })
        .await;
    assert_eq!(missing.unwrap_err().code(), Code::NotFound);
    assert_eq!(h.knobs.find_one_calls.load(Ordering::SeqCst), before + 1);

    // A per-call option turns retries off.
    h.knobs.fail_next.store(1, Ordering::SeqCst);
    let once = h
        .users()
        .find_one(
            CallOptions::new()
                .without_retries()
                .request(UserById { id: "flaky".into() }),
        )
        .await;
    assert_eq!(once.unwrap_err().code(), Code::Unavailable);
    h.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breaker_opens_fails_fast_and_recovers_after_a_probe() {
    let h = Harness::start(|_| {}).await;
    let (mut orders, target) = h.orders();
    let request = || CreateOrderRequest {
        user_id: "u1".into(),
        items: vec![],
    };
    h.knobs.down.store(true, Ordering::SeqCst);
    for _ in 0..3 {
        let failed = orders.create_order(request()).await.unwrap_err();
        assert_eq!(failed.code(), Code::Unavailable);
        assert!(failed.message().contains("database is down"), "{failed:?}");
    }
    assert_eq!(h.knobs.create_calls.load(Ordering::SeqCst), 3);
    assert_eq!(target.breaker_state(), runtime::breaker::BreakerState::Open);

    // Open: the call fails fast without reaching the server.
    let started = Instant::now();
    let fast = orders.create_order(request()).await.unwrap_err();
    assert_eq!(fast.code(), Code::Unavailable);
    assert!(fast.message().contains("circuit breaker"), "{fast:?}");
    assert!(started.elapsed() < Duration::from_millis(50));
    assert_eq!(h.knobs.create_calls.load(Ordering::SeqCst), 3);

    // The server recovers; after the cool-down one probe passes and closes the circuit.
    h.knobs.down.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(350)).await;
    orders
        .create_order(request())
        .await
        .expect("the probe succeeds");
    assert_eq!(
        target.breaker_state(),
        runtime::breaker::BreakerState::Closed
    );
    orders.create_order(request()).await.expect("closed again");
    assert_eq!(h.knobs.create_calls.load(Ordering::SeqCst), 5);
    h.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_handlers_hit_the_deadline_on_both_sides() {
    let h = Harness::start(|config| config.max_deadline = Some(Duration::from_millis(700))).await;

    // Client side: a per-call deadline.
    let started = Instant::now();
    let slow = h
        .users()
        .find_one(
            CallOptions::new()
                .deadline(Duration::from_millis(200))
                .request(UserById { id: "slow".into() }),
        )
        .await
        .unwrap_err();
    assert_eq!(slow.code(), Code::DeadlineExceeded, "{slow:?}");
    assert!(started.elapsed() < Duration::from_millis(600));

    // Server side: a raw tonic client sends grpc-timeout but keeps no timer of its own; the
    // server answers DEADLINE_EXCEEDED (not tonic's CANCELLED) when the budget runs out.
    let mut raw = timerless_users_client(h.grpc()).await;
    let mut request = Request::new(UserById { id: "slow".into() });
    request.set_timeout(Duration::from_millis(200));
    let started = Instant::now();
    let status = raw.find_one(request).await.unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(started.elapsed() < Duration::from_millis(600));

    // The server's maximum applies to a caller that sent no deadline at all.
    let started = Instant::now();
    let status = raw
        .find_one(UserById { id: "slow".into() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(650) && elapsed < Duration::from_millis(2000),
        "{elapsed:?}"
    );

    // A stream that outlives its deadline ends with DEADLINE_EXCEEDED after what it sent.
    let mut request = Request::new(UserFilter {
        role: "slow".into(),
        limit: 20,
    });
    request.set_timeout(Duration::from_millis(280));
    let mut stream = raw.find_many(request).await.unwrap().into_inner();
    let (received, end) = drain(&mut stream).await;
    assert!((2..10).contains(&received), "{received} messages");
    assert_eq!(end.unwrap().code(), Code::DeadlineExceeded);
    h.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traceparent_reaches_the_handler_and_the_next_hop() {
    let h = Harness::start(|_| {}).await;

    // A raw client sends a traceparent: the handler's context continues that trace.
    let incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let mut raw = shop_api::users::v1::users_service_client::UsersServiceClient::connect(format!(
        "http://{}",
        h.grpc()
    ))
    .await
    .unwrap();
    let mut request = Request::new(UserById { id: "trace".into() });
    request
        .metadata_mut()
        .insert("traceparent", incoming.parse().unwrap());
    let seen = raw.find_one(request).await.unwrap().into_inner();
    assert_eq!(seen.name, "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(
        seen.role, "b7ad6b7169203331",
        "the caller's span is the parent"
    );

    // Through generated clients, across a hop: test → orders → users, one trace id.
    let root = TraceContext::parse(incoming).unwrap();
    let order = runtime::trace::scope(root, async {
        h.orders()
            .0
            .create_order(CreateOrderRequest {
                user_id: "trace".into(),
                items: vec![],
            })
            .await
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(order.labels["trace_id"], "0af7651916cd43dd8448eb211c80319c");
    let customer = order.customer.expect("orders asked users");
    assert_eq!(customer.name, "0af7651916cd43dd8448eb211c80319c");
    // The users call is a grandchild of the orders span: a client span sits in between.
    assert_ne!(customer.role, order.labels["span_id"]);

    // Without a context, a generated client starts a fresh trace per call.
    let first = h
        .users()
        .find_one(UserById { id: "trace".into() })
        .await
        .unwrap();
    let second = h
        .users()
        .find_one(UserById { id: "trace".into() })
        .await
        .unwrap();
    assert_ne!(first.get_ref().name, second.get_ref().name);
    assert_eq!(first.get_ref().name.len(), 32);
    h.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_an_in_flight_stream() {
    let h = Harness::start(|config| config.shutdown_grace = Duration::from_secs(10)).await;
    let mut users = h.users();
    let mut stream = users
        .find_many(UserFilter {
            role: "slow".into(),
            limit: 12,
        })
        .await
        .unwrap()
        .into_inner();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.id, "u0");

    let http = h.http();
    let grpc = h.grpc();
    assert_eq!(http_get(http, "/readyz").await.0, 200);
    let started = Instant::now();
    let shutdown = tokio::spawn(h.server.shutdown());
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Draining: both listeners refuse new connections at once (load balancers move on),
    // while the call in flight goes on.
    assert!(tokio::net::TcpStream::connect(grpc).await.is_err());
    assert!(tokio::net::TcpStream::connect(http).await.is_err());

    let (received, end) = drain(&mut stream).await;
    assert_eq!(received, 11, "every remaining message arrives");
    assert!(end.is_none(), "the stream ends with OK: {end:?}");
    assert_eq!(shutdown.await.unwrap().unwrap(), Shutdown::Drained);
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// MAX_CONNECTION_AGE: the server ends each connection with GOAWAY at that age, lets the call
/// in flight finish (within MAX_CONNECTION_AGE_GRACE), then closes; tonic's channels
/// reconnect by themselves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_get_goaway_at_max_connection_age() {
    let h = Harness::start(|config| {
        config.max_connection_age = Some(Duration::from_millis(600));
        config.max_connection_age_grace = Some(Duration::from_secs(5));
    })
    .await;
    let io = hyper_util::rt::TokioIo::new(tokio::net::TcpStream::connect(h.grpc()).await.unwrap());
    let (sender, connection) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
            .await
            .unwrap();
    let started = Instant::now();
    let connection = tokio::spawn(connection);
    let service = tower::service_fn(move |request: http::Request<tonic::body::Body>| {
        let mut sender = sender.clone();
        async move { sender.send_request(request).await }
    });
    let mut users = shop_api::users::v1::users_service_client::UsersServiceClient::with_origin(
        service,
        format!("http://{}", h.grpc()).parse().unwrap(),
    );
    // A stream of 1.2 s, in flight when the connection reaches its age (0.54-0.66 s).
    let mut stream = users
        .find_many(UserFilter {
            role: "slow".into(),
            limit: 24,
        })
        .await
        .unwrap()
        .into_inner();
    let (received, end) = drain(&mut stream).await;
    assert_eq!(received, 24, "the call in flight finishes within the grace");
    assert!(end.is_none(), "{end:?}");
    // GOAWAY came at the age: the connection ends once the stream is done, not before.
    tokio::time::timeout(Duration::from_secs(3), connection)
        .await
        .expect("the server closes the connection after its age")
        .unwrap()
        .unwrap();
    let lived = started.elapsed();
    assert!(lived >= Duration::from_millis(1100), "{lived:?}");
    // A new call on the old connection is refused by the client: it got GOAWAY.
    assert!(users.find_one(UserById { id: "u1".into() }).await.is_err());

    // A connection left idle also gets GOAWAY at its age, and a channel simply reconnects.
    let mut channel_users = h.users();
    channel_users.find_one(UserById { id: "u1".into() }).await.unwrap();
    tokio::time::sleep(Duration::from_millis(900)).await;
    channel_users.find_one(UserById { id: "u2".into() }).await.unwrap();
    let (_, metrics) = http_get(h.http(), "/metrics").await;
    let aged = sample(
        &metrics,
        "server_connections_closed_total{listener=\"grpc\",reason=\"max_age\"}",
    );
    assert!(aged >= 2.0, "{aged} connections aged out:\n{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_streams_that_outlive_the_grace_period() {
    let h = Harness::start(|config| config.shutdown_grace = Duration::from_millis(300)).await;
    let mut stream = h
        .users()
        .find_many(UserFilter {
            role: "slow".into(),
            limit: 200,
        })
        .await
        .unwrap()
        .into_inner();
    stream.next().await.unwrap().unwrap();
    let started = Instant::now();
    let shutdown = tokio::spawn(h.server.shutdown());
    let (_, end) = drain(&mut stream).await;
    let end = end.expect("the stream does not end with OK");
    assert_eq!(end.code(), Code::Unavailable, "{end:?}");
    assert_eq!(shutdown.await.unwrap().unwrap(), Shutdown::Forced);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_become_internal_and_stream_errors_keep_their_status() {
    let h = Harness::start(|_| {}).await;
    let mut users = h.users();

    let status = users
        .find_one(UserById { id: "panic".into() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert!(status.message().contains("panicked"), "{status:?}");
    // The connection survived: the next call on the same channel works.
    users.find_one(UserById { id: "u1".into() }).await.unwrap();

    // A stream the server polls itself loses what tonic had encoded but not yet sent when it
    // panics; the call still ends with INTERNAL rather than a dead connection.
    let (_, end) = drain(
        &mut users
            .find_many(UserFilter {
                role: "panic-poll".into(),
                limit: 0,
            })
            .await
            .unwrap()
            .into_inner(),
    )
    .await;
    assert_eq!(end.expect("not OK").code(), Code::Internal);

    for (role, code) in [
        ("fail", Code::FailedPrecondition),
        ("panic-task", Code::Internal),
    ] {
        let mut stream = users
            .find_many(UserFilter {
                role: role.into(),
                limit: 0,
            })
            .await
            .unwrap()
            .into_inner();
        let (received, end) = drain(&mut stream).await;
        assert_eq!(
            received, 2,
            "{role}: the messages before the failure arrive"
        );
        let end = end.unwrap_or_else(|| panic!("{role}: ended with OK"));
        assert_eq!(end.code(), code, "{role}: {end:?}");
    }
    let end = drain(
        &mut users
            .find_many(UserFilter {
                role: "fail".into(),
                limit: 0,
            })
            .await
            .unwrap()
            .into_inner(),
    )
    .await
    .1
    .unwrap();
    assert_eq!(end.message(), "the user index is being rebuilt");
    h.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics_over_http_and_grpc() {
    let h = Harness::start(|_| {}).await;
    let http = h.http();
    assert_eq!(http_get(http, "/livez").await.0, 200);
    assert_eq!(http_get(http, "/readyz").await, (200, "ready\n".into()));

    // gRPC health, per service.
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel(h.grpc()).await);
    let check = |service: &str| tonic_health::pb::HealthCheckRequest {
        service: service.into(),
    };
    let serving = tonic_health::pb::health_check_response::ServingStatus::Serving as i32;
    let answer = health.check(check("users.v1.UsersService")).await.unwrap();
    assert_eq!(answer.into_inner().status, serving);

    // A service that stops serving fails readiness, and gRPC health says so too.
    let handle = h.server.health();
    handle.set_serving("users.v1.UsersService", false).await;
    let (status, body) = http_get(http, "/readyz").await;
    assert_eq!(
        (status, body.trim()),
        (503, "not serving: users.v1.UsersService")
    );
    let answer = health.check(check("users.v1.UsersService")).await.unwrap();
    assert_ne!(answer.into_inner().status, serving);
    handle.set_serving("users.v1.UsersService", true).await;
    assert_eq!(http_get(http, "/readyz").await.0, 200);

    // Metrics per RPC: requests, errors by code, latency.
    let (_, before) = http_get(http, "/metrics").await;
    let mut users = h.users();
    for _ in 0..3 {
        users.find_one(UserById { id: "u1".into() }).await.unwrap();
    }
    for _ in 0..2 {
        users
            .find_one(UserById {
                id: "missing".into(),
            })
            .await
            .unwrap_err();
    }
    let (status, after) = http_get(http, "/metrics").await;
    assert_eq!(status, 200);
    let labels = r#"grpc_method="FindOne",grpc_service="users.v1.UsersService""#;
    let delta = |series: &str| sample(&after, series) - sample(&before, series);
    assert!(
        delta(&format!(
            r#"grpc_server_handled_total{{grpc_code="OK",{labels}}}"#
        )) >= 3.0,
        "{after}"
    );
    assert!(
        delta(&format!(
            r#"grpc_server_handled_total{{grpc_code="NOT_FOUND",{labels}}}"#
        )) >= 2.0
    );
    assert!(delta(&format!("grpc_server_handling_seconds_count{{{labels}}}")) >= 5.0);
    assert!(
        delta(&format!(
            r#"grpc_client_handled_total{{grpc_code="NOT_FOUND",{labels}}}"#
        )) >= 2.0
    );

    // The application's own route shares state with the handlers.
    let (status, calls) = http_get(http, "/calls").await;
    assert_eq!(status, 200);
    assert!(calls.trim().parse::<u32>().unwrap() >= 5);
    h.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_lists_the_contracts_services() {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;

    let h = Harness::start(|_| {}).await;
    let mut client = ServerReflectionClient::new(channel(h.grpc()).await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) =
        responses.next().await.unwrap().unwrap().message_response
    else {
        panic!("expected a service list")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "users.v1.UsersService",
        "orders.v1.OrdersService",
        "grpc.health.v1.Health",
    ] {
        assert!(names.iter().any(|n| n == expected), "{names:?}");
    }
    h.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_kind_goes_through_the_typed_clients() {
    let h = Harness::start(|_| {}).await;
    let (mut orders, _) = h.orders();
    let listed = drain_all(
        orders
            .list_orders(ListOrdersRequest::default())
            .await
            .unwrap()
            .into_inner(),
    )
    .await;
    assert_eq!(listed.len(), 2);
    let items = vec![
        LineItem {
            sku: "a".into(),
            quantity: 1,
            price_cents: 100,
        },
        LineItem {
            sku: "b".into(),
            quantity: 2,
            price_cents: 250,
        },
    ];
    let uploaded = orders
        .upload_items(tokio_stream::iter(items))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(uploaded.items.len(), 2);
    let tracks = tokio_stream::iter(["x", "y", "z"].map(|id| TrackRequest {
        order_id: id.into(),
    }));
    let events = drain_all(orders.track_orders(tracks).await.unwrap().into_inner()).await;
    let ids: Vec<String> = events.into_iter().map(|e| e.order_id).collect();
    assert_eq!(ids, ["x", "y", "z"]);
    h.server.shutdown().await.unwrap();
}

#[test]
fn configuration_comes_from_flags_env_and_protogen_toml() {
    use clap::Parser;
    let config = ServerConfig::try_parse_from([
        "server",
        "--grpc-addr",
        "127.0.0.1:7000",
        "--http-addr",
        "off",
        "--max-deadline",
        "1500ms",
        "--log-format",
        "json",
        "--http-tls",
        "off",
        "--stream-idle-timeout",
        "1m 30s",
    ])
    .unwrap();
    assert!(!config.http_tls);
    assert_eq!(config.stream_idle_timeout, Some(Duration::from_secs(90)));
    assert!(ServerConfig::try_parse_from(["server"]).unwrap().http_tls, "on by default");
    assert!(
        ServerConfig::try_parse_from(["server", "--tls-cert", "cert.pem"]).is_err(),
        "a certificate needs its key"
    );
    assert_eq!(config.grpc_addr.port(), 7000);
    assert_eq!(config.http_addr, None);
    assert_eq!(config.max_deadline, Some(Duration::from_millis(1500)));
    assert_eq!(config.log_format, runtime::LogFormat::Json);
    assert!(ServerConfig::try_parse_from(["server", "--shutdown-grace", "soon"]).is_err());

    // The workspace's protogen.toml is embedded; its [client] table sets the policies.
    let embedded = ClientSettings::embedded().expect("protogen.toml parses");
    let find_one = embedded.policy("/users.v1.UsersService/FindOne");
    assert!(find_one.idempotent, "NO_SIDE_EFFECTS in the contract");
    assert_eq!(find_one.deadline, Some(Duration::from_secs(2)));
    let create = embedded.policy("/orders.v1.OrdersService/CreateOrder");
    assert!(!create.idempotent);
    assert_eq!(create.deadline, embedded.deadline);

    // protogen.toml may mark an RPC idempotent, and typos are caught.
    let marked = ClientSettings::from_protogen_toml(
        "[client.rpc.\"orders.v1.OrdersService/CreateOrder\"]\nidempotent = true\ndeadline = \"1s\"\n",
    )
    .unwrap()
    .policy("/orders.v1.OrdersService/CreateOrder");
    assert!(marked.idempotent);
    assert_eq!(marked.deadline, Some(Duration::from_secs(1)));
    let typo =
        ClientSettings::from_protogen_toml("[client.rpc.\"orders.v1.OrdersService/Create\"]\n")
            .unwrap_err();
    assert!(typo.contains("no such RPC"), "{typo}");
    let bad = ClientSettings::from_protogen_toml("[client]\ndeadline = \"soon\"\n").unwrap_err();
    assert!(bad.contains("deadline"), "{bad}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_live_while_they_produce_and_idle_ones_end() {
    let h = Harness::start(|config| {
        config.max_deadline = Some(Duration::from_millis(200));
        config.stream_idle_timeout = Some(Duration::from_millis(400));
    })
    .await;
    // The client's default deadline (150 ms) is for unary calls; so is the server's maximum.
    let quick = ClientSettings::from_protogen_toml("[client]\ndeadline = \"150ms\"\n").unwrap();
    let mut users = UsersServiceClient::new(target(h.grpc(), quick));
    let started = Instant::now();
    let stream = users
        .find_many(UserFilter {
            role: "slow".into(),
            limit: 10,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(drain_all(stream).await.len(), 10, "every message of a producing stream");
    assert!(started.elapsed() >= Duration::from_millis(450));
    let slow = users
        .find_one(UserById { id: "slow".into() })
        .await
        .unwrap_err();
    assert_eq!(slow.code(), Code::DeadlineExceeded, "{slow:?}");

    // A stream that goes quiet ends at the server's idle timeout.
    let started = Instant::now();
    let mut stream = users
        .find_many(UserFilter {
            role: "idle".into(),
            limit: 1,
        })
        .await
        .unwrap()
        .into_inner();
    let (received, end) = drain(&mut stream).await;
    let end = end.expect("the idle stream ends with a status");
    assert_eq!((received, end.code()), (1, Code::DeadlineExceeded), "{end:?}");
    assert!(end.message().contains("idle timeout"), "{end:?}");
    assert!(started.elapsed() >= Duration::from_millis(350), "{:?}", started.elapsed());

    // ... or earlier at the client's, when that is shorter.
    let impatient =
        ClientSettings::from_protogen_toml("[client]\nstream_idle_timeout = \"100ms\"\n").unwrap();
    let mut users = UsersServiceClient::new(target(h.grpc(), impatient));
    let started = Instant::now();
    let mut stream = users
        .find_many(UserFilter {
            role: "idle".into(),
            limit: 1,
        })
        .await
        .unwrap()
        .into_inner();
    let (received, end) = drain(&mut stream).await;
    let end = end.expect("the idle stream ends with a status");
    assert_eq!((received, end.code()), (1, Code::DeadlineExceeded), "{end:?}");
    assert!(end.message().contains("sent nothing"), "{end:?}");
    assert!(started.elapsed() < Duration::from_millis(350), "{:?}", started.elapsed());
    h.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_guard_covers_grpc_calls_and_http_routes() {
    // An API-key check written once; the runtime applies it to both listeners.
    let guard = |incoming: &Incoming<'_>| -> Result<Option<Principal>, Denied> {
        if incoming.path == "/livez" {
            return Ok(None);
        }
        match incoming.headers.get("x-api-key").map(|key| key.as_bytes()) {
            None => Err(Denied::Unauthenticated("an x-api-key is needed".into())),
            Some(b"let-me-in") => Ok(Some(Principal {
                subject: format!("key-holder via {:?}", incoming.transport),
                ..Principal::default()
            })),
            Some(_) => Err(Denied::PermissionDenied("that key opens nothing".into())),
        }
    };
    let h = Harness::start_with(|_| {}, |server| server.guard(guard)).await;
    let mut users = h.users();
    let refused = users.find_one(whoami_with_key(None)).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    let wrong = users.find_one(whoami_with_key(Some("guess"))).await.unwrap_err();
    assert_eq!(wrong.code(), Code::PermissionDenied, "{wrong:?}");
    assert_eq!(h.knobs.find_one_calls.load(Ordering::SeqCst), 0, "no handler ran");
    let admitted = users.find_one(whoami_with_key(Some("let-me-in"))).await.unwrap();
    assert_eq!(admitted.get_ref().id, format!("key-holder via {:?}", Transport::Grpc));

    // The application's own HTTP route is behind the same guard; probes stay open.
    assert_eq!(http_get(h.http(), "/calls").await.0, 401);
    assert_eq!(http_get_with(h.http(), "/calls", "x-api-key: guess\r\n").await.0, 403);
    let (status, body) = http_get_with(h.http(), "/calls", "x-api-key: let-me-in\r\n").await;
    assert_eq!((status, body.as_str()), (200, "1"));
    assert_eq!(http_get(h.http(), "/livez").await.0, 200);
    h.server.shutdown().await.unwrap();
}

/// A FindOne request for "whoami", carrying `key` as its x-api-key when there is one.
fn whoami_with_key(key: Option<&'static str>) -> Request<UserById> {
    let mut request = Request::new(UserById {
        id: "whoami".into(),
    });
    if let Some(key) = key {
        request.metadata_mut().insert("x-api-key", key.parse().unwrap());
    }
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guard_may_await_io_before_it_decides() {
    // A policy service asked over the network, played by a sleep: the guard copies what it
    // needs from the request and decides later; both listeners wait for it.
    let guard = |incoming: &Incoming<'_>| -> Verdict {
        if incoming.path == "/livez" {
            return Verdict::Now(Ok(None));
        }
        let key = incoming.headers.get("x-api-key").cloned();
        let transport = incoming.transport;
        Verdict::later(async move {
            let key = key.as_ref().map(|key| key.as_bytes());
            let pause = if key == Some(b"slow-policy") { 3_000 } else { 50 };
            tokio::time::sleep(Duration::from_millis(pause)).await;
            match key {
                None => Err(Denied::Unauthenticated("an x-api-key is needed".into())),
                Some(b"let-me-in") => Ok(Some(Principal {
                    subject: format!("policy says yes via {transport:?}"),
                    ..Principal::default()
                })),
                Some(_) => Err(Denied::PermissionDenied("the policy says no".into())),
            }
        })
    };
    let h = Harness::start_with(|_| {}, |server| server.guard(guard)).await;
    let mut users = h.users();
    let refused = users.find_one(whoami_with_key(None)).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    let wrong = users.find_one(whoami_with_key(Some("guess"))).await.unwrap_err();
    assert_eq!(wrong.code(), Code::PermissionDenied, "{wrong:?}");
    let started = Instant::now();
    let admitted = users.find_one(whoami_with_key(Some("let-me-in"))).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(50), "the handler waited for the guard");
    assert_eq!(admitted.get_ref().id, format!("policy says yes via {:?}", Transport::Grpc));

    // The caller's deadline covers the guard's wait: the server answers DEADLINE_EXCEEDED
    // on time, and the handler never runs.
    let mut slow = whoami_with_key(Some("slow-policy"));
    slow.set_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let late = timerless_users_client(h.grpc()).await.find_one(slow).await.unwrap_err();
    assert_eq!(late.code(), Code::DeadlineExceeded, "{late:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(h.knobs.find_one_calls.load(Ordering::SeqCst), 1, "only the admitted call");

    assert_eq!(http_get(h.http(), "/calls").await.0, 401);
    assert_eq!(http_get_with(h.http(), "/calls", "x-api-key: guess\r\n").await.0, 403);
    let (status, body) = http_get_with(h.http(), "/calls", "x-api-key: let-me-in\r\n").await;
    assert_eq!((status, body.as_str()), (200, "1"));
    assert_eq!(http_get(h.http(), "/livez").await.0, 200);
    h.server.shutdown().await.unwrap();
}

#[test]
fn server_settings_come_from_protogen_toml() {
    let settings = ServerSettings::from_protogen_toml(
        "[server]\ncrate = \"x\"\n[server.rpc.\"users.v1.UsersService/FindMany\"]\ndeadline = \"10m\"\nidle_timeout = \"30s\"\n\
         [server.auth]\npublic = [\"/livez\"]\n[server.auth.scopes]\n\"orders.v1.OrdersService\" = [\"orders\"]\n",
    )
    .unwrap();
    let rpc = &settings.rpcs["users.v1.UsersService/FindMany"];
    assert_eq!(rpc.deadline, Some(Duration::from_secs(600)));
    assert_eq!(rpc.idle_timeout, Some(Duration::from_secs(30)));
    assert_eq!(settings.auth.public, ["/livez"]);
    for (bad, expected) in [
        ("[server.rpc.\"users.v1.UsersService/Nope\"]\n", "no such RPC"),
        ("[server.rpc.\"users.v1.UsersService/FindMany\"]\ndeadline = \"soon\"\n", "deadline"),
        ("[server.auth.scopes]\n\"users.v1.Nope\" = [\"x\"]\n", "no such RPC or service"),
        ("[server.auth]\npublik = []\n", "publik"),
    ] {
        let error = ServerSettings::from_protogen_toml(bad).unwrap_err();
        assert!(error.contains(expected), "{bad}: {error}");
    }
}

async fn drain<T>(stream: &mut Streaming<T>) -> (usize, Option<Status>) {
    let mut received = 0;
    loop {
        match stream.next().await {
            Some(Ok(_)) => received += 1,
            Some(Err(status)) => return (received, Some(status)),
            None => return (received, None),
        }
    }
}

async fn drain_all<T>(mut stream: Streaming<T>) -> Vec<T> {
    let mut all = Vec::new();
    while let Some(item) = stream.next().await {
        all.push(item.unwrap());
    }
    all
}
