// The HTTP transport lives in src/http (library minik8s_http) so that the kubelet's
// endpoint shares it without linking the apiserver; apiserver code keeps its names.
#pragma once

#include "http/http_server.h"

namespace minik8s::apiserver {

using http::Handler;
using http::HandlerResult;
using http::HttpRequest;
using http::HttpResponse;
using http::HttpServer;
using http::HttpServerOptions;
using http::ResponseStream;
using http::tryUrlDecode;
using http::urlDecode;

}  // namespace minik8s::apiserver
