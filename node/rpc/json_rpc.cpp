#include "node/rpc/json_rpc.h"

#include <atomic>
#include <cassert>
#include <exception>
#include <mutex>
#include <optional>
#include <utility>

namespace synod::node {
namespace {

using nlohmann::json;

// Deepest nesting of arrays/objects in `text`, stopping once it exceeds `limit`. Brackets
// inside strings do not count. Run before parsing so a deep document is never built.
std::size_t nesting_depth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) {
        break;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

json invalid_request(json id, std::string reason) {
  return make_rpc_error(std::move(id), kRpcInvalidRequest, "Invalid Request", std::move(reason));
}

bool is_valid_id(const json& id) {
  return id.is_string() || id.is_number() || id.is_null();
}

// Returns `value` once, without copying it.
RpcReply::Response ready(json value) {
  return [value = std::move(value)]() mutable { return std::move(value); };
}

// Collects the responses of one body. Replies may arrive on several threads.
class Collector : public std::enable_shared_from_this<Collector> {
 public:
  Collector(bool batch, std::size_t entries, RpcDispatcher::Done done, RpcRunner finish)
      : batch_(batch),
        slots_(entries),
        pending_(entries + 1),
        done_(std::move(done)),
        finish_(std::move(finish)) {}

  // Entry `index` is finished; `response` is empty for a notification.
  void fill(std::size_t index, std::optional<RpcReply::Response> response) {
    {
      std::lock_guard lock(mutex_);
      assert(index < slots_.size());
      slots_[index] = std::move(response);
    }
    release();
  }

  // Drops one pending count; the last one has the response rendered and sent. handle()
  // holds one count while it dispatches, so synchronous replies cannot finish the body early.
  void release() {
    {
      std::lock_guard lock(mutex_);
      assert(pending_ > 0);
      if (--pending_ != 0)
        return;
    }
    if (!finish_) {
      done_(render());
      return;
    }
    finish_([self = shared_from_this()] { self->done_(self->render()); });
  }

 private:
  // Runs once, after every slot was filled: no other thread touches the slots any more.
  std::string render() {
    json responses = json::array();
    for (std::optional<RpcReply::Response>& slot : slots_) {
      if (slot) {
        responses.push_back((*slot)());
      }
    }
    slots_.clear();
    if (responses.empty()) {
      return {};
    }
    return dump_json(batch_ ? responses : responses[0]);
  }

  const bool batch_;
  std::mutex mutex_;
  std::vector<std::optional<RpcReply::Response>> slots_;  // guarded by mutex_ until rendered
  std::size_t pending_;                                   // guarded by mutex_
  const RpcDispatcher::Done done_;
  const RpcRunner finish_;
};

}  // namespace

json make_rpc_result(json id, json result) {
  return json{{"jsonrpc", "2.0"}, {"result", std::move(result)}, {"id", std::move(id)}};
}

json make_rpc_error(json id, int code, std::string message, json data) {
  json error = {{"code", code}, {"message", std::move(message)}};
  if (!data.is_null()) {
    error["data"] = std::move(data);
  }
  return json{{"jsonrpc", "2.0"}, {"error", std::move(error)}, {"id", std::move(id)}};
}

std::string dump_json(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

RpcEntry parse_rpc_request(const json& value) {
  if (!value.is_object()) {
    return invalid_request(nullptr, "a request must be a JSON object");
  }
  const auto id_it = value.find("id");
  const bool has_id = id_it != value.end();
  if (has_id && !is_valid_id(*id_it)) {
    return invalid_request(nullptr, "\"id\" must be a string, a number or null");
  }
  json id = has_id ? *id_it : json(nullptr);
  const auto version = value.find("jsonrpc");
  if (version == value.end() || *version != "2.0") {
    return invalid_request(std::move(id), "\"jsonrpc\" must be \"2.0\"");
  }
  const auto method = value.find("method");
  if (method == value.end() || !method->is_string()) {
    return invalid_request(std::move(id), "\"method\" must be a string");
  }
  RpcRequest request;
  const auto params = value.find("params");
  if (params != value.end()) {
    if (!params->is_object() && !params->is_array()) {
      return invalid_request(std::move(id), "\"params\" must be an object or an array");
    }
    request.params = *params;
  }
  request.method = method->get<std::string>();
  request.id = std::move(id);
  request.notification = !has_id;
  return request;
}

RpcBody parse_rpc_body(std::string_view body, const RpcLimits& limits) {
  RpcBody parsed;
  if (nesting_depth(body, limits.max_nesting_depth) > limits.max_nesting_depth) {
    parsed.entries.emplace_back(invalid_request(
        nullptr, "JSON nested deeper than " + std::to_string(limits.max_nesting_depth)));
    return parsed;
  }
  const json document = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    parsed.entries.emplace_back(make_rpc_error(nullptr, kRpcParseError, "Parse error"));
    return parsed;
  }
  if (!document.is_array()) {
    parsed.entries.push_back(parse_rpc_request(document));
    return parsed;
  }
  if (document.empty()) {
    parsed.entries.emplace_back(invalid_request(nullptr, "empty batch"));
    return parsed;
  }
  if (document.size() > limits.max_batch_entries) {
    parsed.entries.emplace_back(invalid_request(
        nullptr, "batch has more than " + std::to_string(limits.max_batch_entries) + " entries"));
    return parsed;
  }
  parsed.batch = true;
  for (const json& element : document) {
    parsed.entries.push_back(parse_rpc_request(element));
  }
  return parsed;
}

struct RpcReply::State {
  State(json request_id, Sink response_sink, std::string caller_address)
      : id(std::move(request_id)),
        sink(std::move(response_sink)),
        caller(std::move(caller_address)) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    if (!done.exchange(true) && sink) {
      sink(ready(make_rpc_error(id, kRpcInternalError, "Internal error", "method did not reply")));
    }
  }

  const json id;
  const Sink sink;
  const std::string caller;
  std::atomic<bool> done{false};
};

RpcReply::RpcReply(json id, Sink sink, Budget budget, std::string caller)
    : state_(std::make_shared<State>(std::move(id), std::move(sink), std::move(caller))),
      budget_(std::move(budget)) {}

std::size_t RpcReply::BudgetShare::left() const {
  return budget_ ? budget_->load() : SIZE_MAX;
}

void RpcReply::BudgetShare::charge(std::size_t bytes) const {
  if (!budget_)
    return;
  std::size_t left = budget_->load();
  while (!budget_->compare_exchange_weak(left, left - std::min(left, bytes))) {
  }
}

void RpcReply::result(json value) const {
  if (!state_->done.exchange(true) && state_->sink) {
    state_->sink(ready(make_rpc_result(state_->id, std::move(value))));
  }
}

void RpcReply::result_from(std::function<json()> build) const {
  answer_from([build = std::move(build)]() -> RpcAnswer { return build(); });
}

void RpcReply::answer_from(std::function<RpcAnswer()> build) const {
  if (state_->done.exchange(true) || !state_->sink)
    return;
  state_->sink([id = state_->id, build = std::move(build)]() {
    try {
      RpcAnswer answer = build();
      if (auto* failure = std::get_if<RpcFailure>(&answer))
        return make_rpc_error(id, failure->code, std::move(failure->message));
      return make_rpc_result(id, std::move(std::get<json>(answer)));
    } catch (...) {
      return make_rpc_error(id, kRpcInternalError, "Internal error");
    }
  });
}

void RpcReply::error(int code, std::string message, json data) const {
  if (!state_->done.exchange(true) && state_->sink) {
    state_->sink(ready(make_rpc_error(state_->id, code, std::move(message), std::move(data))));
  }
}

bool RpcReply::sent() const {
  return state_->done.load();
}

const std::string& RpcReply::caller() const {
  return state_->caller;
}

RpcDispatcher::RpcDispatcher(RpcLimits limits, RpcRunner run_methods)
    : limits_(limits), run_methods_(std::move(run_methods)) {}

void RpcDispatcher::add_method(std::string name, RpcMethod method) {
  assert(method);
  methods_.insert_or_assign(std::move(name), std::move(method));
}

void RpcDispatcher::handle(std::string_view body, Done done, RpcCaller caller) const {
  auto parsed = std::make_shared<RpcBody>(parse_rpc_body(body, limits_));
  const auto collector = std::make_shared<Collector>(parsed->batch, parsed->entries.size(),
                                                     std::move(done), std::move(caller.finish));
  auto budget = std::make_shared<std::atomic<std::size_t>>(limits_.max_response_bytes);
  // The calls, with their replies made here: every reply knows its slot and its caller.
  std::vector<std::pair<std::size_t, RpcReply>> calls;
  for (std::size_t i = 0; i < parsed->entries.size(); ++i) {
    if (auto* error = std::get_if<json>(&parsed->entries[i])) {
      collector->fill(i, ready(std::move(*error)));
      continue;
    }
    const RpcRequest& request = std::get<RpcRequest>(parsed->entries[i]);
    if (request.notification) {
      collector->fill(i, std::nullopt);  // nothing to wait for
      calls.emplace_back(i, RpcReply(nullptr, nullptr, budget, caller.address));
    } else {
      calls.emplace_back(i, RpcReply(
                                request.id,
                                [collector, i](RpcReply::Response response) {
                                  collector->fill(i, std::move(response));
                                },
                                budget, caller.address));
    }
  }
  auto run = [this, parsed, calls = std::move(calls), collector]() {
    for (const auto& [index, reply] : calls)
      call(std::get<RpcRequest>(parsed->entries[index]), reply);
    collector->release();
  };
  if (run_methods_)
    run_methods_(std::move(run));
  else
    run();
}

void RpcDispatcher::call(const RpcRequest& request, const RpcReply& reply) const {
  const auto method = methods_.find(request.method);
  if (method == methods_.end()) {
    reply.error(kRpcMethodNotFound, "Method not found");
    return;
  }
  try {
    method->second(request.params, reply);
  } catch (...) {
    // A bug in a method must not take the node down; the client learns it failed.
    reply.error(kRpcInternalError, "Internal error");
  }
}

}  // namespace synod::node
