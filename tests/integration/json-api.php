<?php
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The JSON API of the LadleHttpClient integration tests (servers.PhpServer(script=...)), for
// every path: it answers with what PHP parsed of the request, as JSON:
//   {"method", "path", "query": $_GET, "form": $_POST, "json": the decoded JSON body or null,
//    "content_type", "raw": the raw body (not for multipart), "files": [{"field", "name",
//    "type", "size", "md5"}], "headers": getallheaders()}
// Request headers choose the answer:
//   X-Answer-Status: the status (default 200; 204 and 304 have no body)
//   X-Answer-Type:   the Content-Type (default application/json)
//   X-Answer-Body:   the body sent verbatim instead of the report (e.g. invalid JSON)
//   X-Answer-Empty:  any value: no body at all

$headers = getallheaders();
$lower = array();
foreach ($headers as $name => $value)
    $lower[strtolower($name)] = $value;

$content_type = isset($_SERVER['CONTENT_TYPE']) ? $_SERVER['CONTENT_TYPE'] : '';
$is_multipart = stripos($content_type, 'multipart/form-data') === 0;
$raw = $is_multipart ? '' : file_get_contents('php://input');
$json = null;
if (stripos($content_type, 'application/json') === 0)
    $json = json_decode($raw, true);

$files = array();
foreach ($_FILES as $field => $info) {
    $files[] = array(
        'field' => $field,
        'name' => $info['name'],
        'type' => $info['type'],
        'size' => $info['size'],
        'md5' => $info['error'] === UPLOAD_ERR_OK ? md5_file($info['tmp_name']) : '',
        'error' => $info['error'],
    );
}

$report = array(
    'method' => $_SERVER['REQUEST_METHOD'],
    'path' => parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH),
    'query' => (object) $_GET,
    'form' => (object) $_POST,
    'json' => $json,
    'content_type' => $content_type,
    'raw' => $raw,
    'files' => $files,
    'headers' => (object) $headers,
);

$status = isset($lower['x-answer-status']) ? intval($lower['x-answer-status']) : 200;
$type = isset($lower['x-answer-type']) ? $lower['x-answer-type'] : 'application/json';

http_response_code($status);
if ($status == 204 || $status == 304 || isset($lower['x-answer-empty'])) {
    header_remove('Content-Type');
    header('Content-Length: 0');
    exit;
}
header('Content-Type: ' . $type);
if (isset($lower['x-answer-body']))
    echo $lower['x-answer-body'];
else
    echo json_encode($report, JSON_UNESCAPED_SLASHES);
