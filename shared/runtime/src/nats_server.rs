//! placeholder: finding and starting nats-server
