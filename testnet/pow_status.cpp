#include "testnet/pow_status.h"

#include <algorithm>
#include <map>

#include "client/json_fields.h"
#include "wallet/cli_support.h"

namespace synod::testnet {

using nlohmann::json;

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names)
    out += (out.empty() ? "" : ",") + name;
  return out;
}

// "node-0,node-1 at 37 = ab12cd34ef56…, node-2 at 37 = 9f8e7d6c5b4a…": nodes grouped by tip.
std::string describe_tips(const std::vector<PowNodeView>& views) {
  std::map<std::pair<std::uint64_t, std::string>, std::vector<std::string>> by_tip;
  for (const auto& view : views)
    by_tip[{view.tip_height, view.tip_hash}].push_back(view.name);
  std::string out;
  for (const auto& [tip, names] : by_tip) {
    out += (out.empty() ? "" : ", ") + join(names) + " at " + std::to_string(tip.first) + " = " +
           cli::prefix(tip.second, 12);
  }
  return out;
}

// The second half of the agreement line: what the tips look like.
std::string tips_clause(const PowAgreement& out, const std::vector<PowNodeView>& views) {
  if (out.same_tip)
    return "tips: all at " + std::to_string(out.highest_tip) + " = " +
           cli::prefix(views.front().tip_hash, 16);
  std::string text;
  if (out.fork_at_tip) {
    text = "tips: fork at tip (" + join(out.side_branch) +
           " on a side branch; the branch with most work wins, not a disagreement): ";
  } else {
    text = "tips: " + join(out.behind) + " behind the best tip (catching up): ";
  }
  return text + describe_tips(views);
}

}  // namespace

json PowAgreement::to_json(std::uint64_t depth) const {
  return {{"agree", agree},   {"height", height},           {"hash", hash_hex},
          {"depth", depth},   {"lowest_tip", lowest_tip},   {"highest_tip", highest_tip},
          {"nodes", nodes},   {"same_tip", same_tip},       {"fork_at_tip", fork_at_tip},
          {"behind", behind}, {"side_branch", side_branch}, {"message", message}};
}

std::uint64_t pow_compared_height(std::uint64_t lowest_tip, std::uint64_t depth) {
  return lowest_tip > depth ? lowest_tip - depth : 0;
}

bool more_work(const std::string& a, const std::string& b) {
  auto digits = [](const std::string& text) {
    std::size_t first = text.find_first_not_of('0');
    return first == std::string::npos ? std::string() : text.substr(first);
  };
  std::string x = digits(a), y = digits(b);
  if (x.size() != y.size())
    return x.size() > y.size();
  return x > y;
}

PowAgreement judge_pow_agreement(const std::vector<PowNodeView>& views, std::uint64_t depth,
                                 std::size_t testnet_nodes) {
  PowAgreement out;
  out.nodes = views.size();
  if (views.empty()) {
    out.message = "agreement: no node answered";
    return out;
  }
  out.lowest_tip = UINT64_MAX;
  for (const auto& view : views) {
    out.lowest_tip = std::min(out.lowest_tip, view.tip_height);
    out.highest_tip = std::max(out.highest_tip, view.tip_height);
  }
  out.height = pow_compared_height(out.lowest_tip, depth);
  std::map<std::string, std::vector<std::string>> by_hash;
  for (const auto& view : views)
    by_hash[view.compared_hash].push_back(view.name);
  std::string where =
      std::to_string(out.height) + " (" +
      (out.height == 0
           ? "block 0; the lowest tip " + std::to_string(out.lowest_tip) + " is not " +
                 std::to_string(depth) + " blocks deep yet"
           : std::to_string(depth) + " below the lowest tip " + std::to_string(out.lowest_tip)) +
      ")";
  if (by_hash.size() > 1 || by_hash.begin()->first.empty()) {
    out.message = "DISAGREEMENT at height " + where + ":";
    for (const auto& [hash, names] : by_hash) {
      for (const auto& name : names)
        out.message += " " + name + "=" + (hash.empty() ? "(none)" : cli::prefix(hash, 12));
    }
    return out;
  }
  out.agree = true;
  out.hash_hex = by_hash.begin()->first;
  out.same_tip = std::all_of(views.begin(), views.end(), [&](const PowNodeView& view) {
    return view.tip_hash == views.front().tip_hash;
  });
  for (const auto& view : views) {
    if (view.tip_on_best)
      continue;
    out.fork_at_tip = true;
    out.side_branch.push_back(view.name);
  }
  const PowNodeView* best = &views.front();
  for (const auto& view : views) {
    if (more_work(view.tip_work, best->tip_work))
      best = &view;
  }
  for (const auto& view : views) {
    if (view.tip_on_best && view.tip_hash != best->tip_hash)
      out.behind.push_back(view.name);
  }
  out.message = "agreement: " + std::string(out.nodes == testnet_nodes ? "all " : "") +
                std::to_string(out.nodes) + " answering nodes share block " + where + " = " +
                cli::prefix(out.hash_hex, 16) + "; " + tips_clause(out, views);
  return out;
}

namespace {

// The hash of the block at `height` on node `index`'s best chain; "" when it has none.
std::string best_hash_at(Cluster& cluster, std::size_t index, std::uint64_t height) {
  auto block = cluster.call(index, "get_block", {{"height", height}});
  if (!block)
    return "";
  return client::string_field(*block, "hash");
}

}  // namespace

PowAgreement check_pow_agreement(Cluster& cluster,
                                 const std::vector<std::pair<std::size_t, json>>& answers,
                                 std::uint64_t depth) {
  std::vector<PowNodeView> views;
  std::vector<std::size_t> indices;
  std::size_t best = 0;  // position in views of the node with most work
  std::uint64_t lowest = UINT64_MAX;
  for (const auto& [index, status] : answers) {
    PowNodeView view;
    view.name = cluster.node(index).name;
    view.tip_height = client::unsigned_field(status, "height");
    view.tip_hash = client::string_field(status, "head_hash");
    view.tip_work = client::string_field(status, "tip_work");
    if (!views.empty() && more_work(view.tip_work, views[best].tip_work))
      best = views.size();
    lowest = std::min(lowest, view.tip_height);
    views.push_back(std::move(view));
    indices.push_back(index);
  }
  if (views.empty())
    return judge_pow_agreement(views, depth, cluster.size());
  std::uint64_t compared = pow_compared_height(lowest, depth);
  for (std::size_t i = 0; i < views.size(); ++i) {
    views[i].compared_hash = best_hash_at(cluster, indices[i], compared);
    // A tip is on the best chain when the node with most work holds that very block there.
    views[i].tip_on_best =
        i == best || views[i].tip_hash == views[best].tip_hash ||
        best_hash_at(cluster, indices[best], views[i].tip_height) == views[i].tip_hash;
  }
  return judge_pow_agreement(views, depth, cluster.size());
}

std::vector<std::string> pow_status_cells(const json& status) {
  if (status.is_null())
    return {"", "", "", "", "", ""};
  const json& rate = client::field(status, "hash_rate");
  return {client::field_text(status, "height"),
          cli::prefix(client::field_text(status, "head_hash"), 8),
          client::field_text(status, "tip_work"),
          client::field_text(status, "tips"),
          rate.is_number() ? cli::format_hash_rate(rate.get<double>()) : "-",
          client::field_text(status, "reorgs")};
}

}  // namespace synod::testnet
