#include "pbft/messages.h"

#include "chain/limits.h"

namespace synod::pbft {
namespace {

using chain::Reader;
using chain::Writer;

constexpr std::size_t kSignedOverhead = 1 + 4 + 64;

Writer signing_writer(std::string_view tag, const chain::SigningDomain& domain) {
  Writer out;
  out.raw(as_bytes(tag));
  chain::write(out, domain);
  return out;
}

// Every body's reader and writer, declared up front so the Signed<> templates below find
// them for nested messages.
void write_body(Writer& out, const PrePrepare& m);
void read_body(Reader& in, PrePrepare& m);
void write_body(Writer& out, const Prepare& m);
void read_body(Reader& in, Prepare& m);
void write_body(Writer& out, const Commit& m);
void read_body(Reader& in, Commit& m);
void write_body(Writer& out, const Checkpoint& m);
void read_body(Reader& in, Checkpoint& m);
void write_body(Writer& out, const ViewChange& m);
void read_body(Reader& in, ViewChange& m);
void write_body(Writer& out, const NewView& m);
void read_body(Reader& in, NewView& m);

// ---- bodies -----------------------------------------------------------------------------

void write_body(Writer& out, const PrePrepare& m) {
  out.u64(m.view);
  out.u64(m.sequence);
  chain::write(out, m.block);
}
void read_body(Reader& in, PrePrepare& m) {
  m.view = in.u64();
  m.sequence = in.u64();
  m.block = chain::read_block(in);
}

template <typename VoteBody>
void write_vote(Writer& out, const VoteBody& m) {
  out.u64(m.view);
  out.u64(m.sequence);
  out.fixed(m.digest);
}
template <typename VoteBody>
void read_vote(Reader& in, VoteBody& m) {
  m.view = in.u64();
  m.sequence = in.u64();
  m.digest = in.fixed<crypto::Hash256>();
}
void write_body(Writer& out, const Prepare& m) {
  write_vote(out, m);
}
void read_body(Reader& in, Prepare& m) {
  read_vote(in, m);
}
void write_body(Writer& out, const Commit& m) {
  write_vote(out, m);
}
void read_body(Reader& in, Commit& m) {
  read_vote(in, m);
}

void write_body(Writer& out, const Checkpoint& m) {
  out.u64(m.sequence);
  out.fixed(m.digest);
}
void read_body(Reader& in, Checkpoint& m) {
  m.sequence = in.u64();
  m.digest = in.fixed<crypto::Hash256>();
}

template <typename Body>
void write_signed(Writer& out, const Signed<Body>& m) {
  out.u32(m.sender);
  write_body(out, m.body);
  out.fixed(m.signature);
}
template <typename Body>
Signed<Body> read_signed(Reader& in) {
  Signed<Body> m;
  m.sender = in.u32();
  read_body(in, m.body);
  m.signature = in.fixed<crypto::Signature>();
  return m;
}

void write_body(Writer& out, const ViewChange& m) {
  out.u64(m.new_view);
  out.u64(m.stable_sequence);
  out.count(m.checkpoint_proof.size());
  for (const auto& checkpoint : m.checkpoint_proof)
    write_signed(out, checkpoint);
  chain::write(out, m.head);
  out.boolean(m.head_certificate.has_value());
  if (m.head_certificate)
    chain::write(out, *m.head_certificate);
  out.count(m.prepared.size());
  for (const auto& certificate : m.prepared) {
    write_signed(out, certificate.pre_prepare);
    out.count(certificate.prepares.size());
    for (const auto& prepare : certificate.prepares)
      write_signed(out, prepare);
  }
}
void read_body(Reader& in, ViewChange& m) {
  m.new_view = in.u64();
  m.stable_sequence = in.u64();
  std::size_t checkpoints = in.count(chain::kMaxValidators, kSignedOverhead + 40);
  for (std::size_t i = 0; i < checkpoints && in.ok(); ++i) {
    m.checkpoint_proof.push_back(read_signed<Checkpoint>(in));
  }
  m.head = chain::read_header(in);
  if (in.boolean())
    m.head_certificate = chain::read_certificate(in);
  // One block in flight: a correct replica has at most one prepared block above its head;
  // a little slack, and the count is still bounded.
  std::size_t prepared = in.count(4, kSignedOverhead);
  for (std::size_t i = 0; i < prepared && in.ok(); ++i) {
    PreparedCertificate certificate;
    certificate.pre_prepare = read_signed<PrePrepare>(in);
    std::size_t prepares = in.count(chain::kMaxValidators, kSignedOverhead + 48);
    for (std::size_t j = 0; j < prepares && in.ok(); ++j) {
      certificate.prepares.push_back(read_signed<Prepare>(in));
    }
    m.prepared.push_back(std::move(certificate));
  }
}

void write_body(Writer& out, const NewView& m) {
  out.u64(m.view);
  out.count(m.view_changes.size());
  for (const auto& view_change : m.view_changes)
    write_signed(out, view_change);
  out.count(m.pre_prepares.size());
  for (const auto& pre_prepare : m.pre_prepares)
    write_signed(out, pre_prepare);
}
void read_body(Reader& in, NewView& m) {
  m.view = in.u64();
  std::size_t view_changes = in.count(chain::kMaxValidators, kSignedOverhead);
  for (std::size_t i = 0; i < view_changes && in.ok(); ++i) {
    m.view_changes.push_back(read_signed<ViewChange>(in));
  }
  std::size_t pre_prepares = in.count(4, kSignedOverhead);
  for (std::size_t i = 0; i < pre_prepares && in.ok(); ++i) {
    m.pre_prepares.push_back(read_signed<PrePrepare>(in));
  }
}

template <typename Body>
Bytes body_signing_bytes(std::string_view tag, const chain::SigningDomain& domain,
                         const Body& body) {
  Writer out = signing_writer(tag, domain);
  write_body(out, body);
  return out.take();
}

}  // namespace

Bytes signing_bytes(const chain::SigningDomain& domain, const PrePrepare& m) {
  // The pre-prepare signs the block's hash, not its bytes: the hash commits to them.
  Writer out = signing_writer("synod/pbft/preprepare/v2", domain);
  out.u64(m.view);
  out.u64(m.sequence);
  out.fixed(m.block.hash());
  return out.take();
}
Bytes signing_bytes(const chain::SigningDomain& domain, const Prepare& m) {
  return body_signing_bytes("synod/pbft/prepare/v2", domain, m);
}
Bytes signing_bytes(const chain::SigningDomain& domain, const Commit& m) {
  return chain::commit_signing_bytes(domain, m.view, m.sequence, m.digest);
}
Bytes signing_bytes(const chain::SigningDomain& domain, const Checkpoint& m) {
  return body_signing_bytes("synod/pbft/checkpoint/v2", domain, m);
}
Bytes signing_bytes(const chain::SigningDomain& domain, const ViewChange& m) {
  // Nested messages carry their own signatures; hashing the body keeps the signed
  // message short.
  Writer body;
  write_body(body, m);
  Writer out = signing_writer("synod/pbft/viewchange/v2", domain);
  out.fixed(crypto::sha256(body.data()));
  return out.take();
}
Bytes signing_bytes(const chain::SigningDomain& domain, const NewView& m) {
  Writer body;
  write_body(body, m);
  Writer out = signing_writer("synod/pbft/newview/v2", domain);
  out.fixed(crypto::sha256(body.data()));
  return out.take();
}

Bytes encode(const Message& message) {
  Writer out;
  std::visit(
      [&](const auto& m) {
        out.u8(static_cast<std::uint8_t>(message.index() + 1));
        write_signed(out, m);
      },
      message);
  return out.take();
}

Result<Message> decode_message(ByteView bytes) {
  if (bytes.size() > kMaxMessageBytes)
    return make_error("message exceeds size limit");
  Reader in(bytes);
  std::uint8_t type = in.u8();
  Message message;
  switch (type) {
    case 1:
      message = read_signed<PrePrepare>(in);
      break;
    case 2:
      message = read_signed<Prepare>(in);
      break;
    case 3:
      message = read_signed<Commit>(in);
      break;
    case 4:
      message = read_signed<Checkpoint>(in);
      break;
    case 5:
      message = read_signed<ViewChange>(in);
      break;
    case 6:
      message = read_signed<NewView>(in);
      break;
    default:
      in.fail("unknown message type " + std::to_string(type));
  }
  if (auto status = in.finish("pbft message"); !status)
    return status.error();
  return message;
}

ReplicaIndex sender_of(const Message& message) {
  return std::visit([](const auto& m) { return m.sender; }, message);
}

MessageType type_of(const Message& message) {
  return static_cast<MessageType>(message.index() + 1);
}

const char* to_string(MessageType type) {
  switch (type) {
    case MessageType::kPrePrepare:
      return "pre_prepare";
    case MessageType::kPrepare:
      return "prepare";
    case MessageType::kCommit:
      return "commit";
    case MessageType::kCheckpoint:
      return "checkpoint";
    case MessageType::kViewChange:
      return "view_change";
    case MessageType::kNewView:
      return "new_view";
  }
  return "unknown";
}

}  // namespace synod::pbft
