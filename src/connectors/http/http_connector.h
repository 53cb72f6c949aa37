// Real HTTP connectors over libcurl (docs/connectors.md):
//
//  - the generic `http` connector (catalog/interfaces/http.wfi): get and post
//    of absolute http(s) URLs whose host is in the run's `domain` scope
//    (exact, case-insensitive, as the simulator checks) and, when configured,
//    in the deployment's own allow-list; responses are bounded; redirects are
//    not followed (a 3xx is returned as it is); by default only public
//    addresses are contacted, checked on the address actually connected to;
//
//  - interface-declared HTTP actions: a connector whose .wfi has `base
//    "URL"` and actions with `http METHOD "/path/{param}" [idempotency
//    "Header"]` (catalog/interfaces/tracker.wfi) is executed generically
//    from its contract (lang::InterfaceSet::ConnectorToJson): URL templates
//    with percent-encoded parameters, payload parameters as a JSON body (or
//    the query string for GET and DELETE), the response JSON mapped to the
//    action's return type (extra fields dropped, missing optional fields
//    null, missing required fields an error), the idempotency key sent in
//    the declared header.
#ifndef WFSTORE_CONNECTORS_HTTP_HTTP_CONNECTOR_H_
#define WFSTORE_CONNECTORS_HTTP_HTTP_CONNECTOR_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "connectors/connector.h"
#include "connectors/http/curl_client.h"
#include "connectors/secrets.h"

namespace wfs::connectors::http {

// A credential sent to one host only.
struct HttpCredential {
  std::string host;  // exact, lower-case
  std::string header = "Authorization";
  std::string scheme =
      "Bearer";  // the header is "<scheme> <token>"; "" for the token alone
  Secret token;
};

struct HttpConnectorOptions {
  CurlLimits limits;  // limits.public_addresses_only defaults to true here
  // Hosts this deployment allows at all (lower-case, exact). Required by
  // the factory (docs/connectors.md); empty here: any host the run's domain
  // scope allows.
  std::vector<std::string> allow_hosts;
  std::vector<HttpCredential> credentials;
  // Header carrying ActionRequest::idempotency_key on post; "" for none.
  std::string idempotency_header = "Idempotency-Key";
};

HttpConnectorOptions DefaultHttpConnectorOptions();

std::unique_ptr<Connector> MakeHttpConnector(HttpConnectorOptions options);

struct RestOptions {
  std::string base;  // overrides the interface's `base` when set
  CurlLimits limits;
  // Hosts the base URL may name (lower-case, exact); empty: any.
  std::vector<std::string> allow_hosts;
  Secret token;  // sent as `<auth_header>: <auth_scheme> <token>` when set
  std::string auth_header = "Authorization";
  std::string auth_scheme = "Bearer";
  std::vector<std::pair<std::string, std::string>> headers;  // extra, static
  // Where a return type's fields are in the server's JSON, per type (its
  // local or qualified name): {"Issue": {"author": "user.login",
  // "labels": "labels[].name"}}. A path is dot-separated member names; "x[]"
  // maps the rest of the path over the array x.
  Json response_map = Json::object();
  // Per action, the JSON body to send instead of the payload parameters as
  // an object; a string "{param}" anywhere in it is replaced by the
  // parameter's value: {"add_label": {"labels": ["{label}"]}}.
  Json body_templates = Json::object();
  // Per reversible action, how to tell that it would change nothing (the
  // simulator then returns no undo record, and neither does this
  // connector): a read action of the same connector whose parameters the
  // action has, a list field of its result, and the parameter that is
  // already in it ("has") or not ("lacks"). When the condition holds the
  // request is not sent: {"add_label": {"read": "get_issue", "list":
  // "labels", "has": "label"}}.
  Json unchanged_if = Json::object();
};

// `contract` is lang::InterfaceSet::ConnectorToJson of the connector.
// InvalidArgument when it declares no HTTP action, has no base URL or the
// options are malformed.
Result<std::unique_ptr<Connector>> MakeRestConnector(const Json& contract,
                                                     RestOptions options);

// The built-in option set for GitHub's REST API and GitHub-like servers
// (config "profile": "github"): accept header, field maps for the tracker
// interface's Issue and Comment, and add_label's body.
RestOptions GithubProfile();

}  // namespace wfs::connectors::http

#endif  // WFSTORE_CONNECTORS_HTTP_HTTP_CONNECTOR_H_
