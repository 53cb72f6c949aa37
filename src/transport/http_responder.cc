#include "transport/http_responder.h"

#include <utility>

#include "transport/http_exchange.h"

namespace wfs::transport {
namespace {

Status Invalid() {
  return FailedPrecondition("HttpResponder is empty (moved from?)");
}

}  // namespace

HttpResponder::HttpResponder(std::shared_ptr<internal::Exchange> exchange)
    : exchange_(std::move(exchange)) {}

HttpResponder& HttpResponder::operator=(HttpResponder&& other) noexcept {
  if (this != &other) {
    if (exchange_) exchange_->Abandon();
    exchange_ = std::move(other.exchange_);
  }
  return *this;
}

HttpResponder::~HttpResponder() {
  if (exchange_) exchange_->Abandon();
}

Status HttpResponder::Respond(HttpResponse response) {
  if (!exchange_) return Invalid();
  return exchange_->Respond(std::move(response));
}

Status HttpResponder::StartStream(int status, HttpHeaders headers,
                                  std::string_view first) {
  if (!exchange_) return Invalid();
  return exchange_->StartStream(status, std::move(headers), first);
}

Status HttpResponder::Write(std::string_view data) {
  if (!exchange_) return Invalid();
  return exchange_->Write(data);
}

Status HttpResponder::End(std::string_view last) {
  if (!exchange_) return Invalid();
  return exchange_->End(last);
}

size_t HttpResponder::unsent_bytes() const {
  return exchange_ != nullptr ? exchange_->unsent_bytes() : 0;
}

bool HttpResponder::client_gone() const {
  return exchange_ != nullptr && exchange_->gone();
}

void HttpResponder::OnClientGone(std::function<void()> callback) {
  if (exchange_) exchange_->OnGone(std::move(callback));
}

}  // namespace wfs::transport
