#include "api/http_server.h"

#include <gtest/gtest.h>

#include <fstream>

namespace switchyard::api {
namespace {

class LoadStaticFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("switchyard-static-" + std::to_string(::getpid()));
    std::filesystem::create_directories(root_ / "sub");
    std::ofstream(root_ / "index.html") << "<!doctype html>";
    std::ofstream(root_ / "app.js") << "1;";
    std::ofstream(root_ / "sub" / "x.css") << "a{}";
    std::ofstream(root_ / ".secret") << "no";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::filesystem::path root_;
};

TEST_F(LoadStaticFileTest, ServesFilesWithContentTypes) {
  auto index = LoadStaticFile(root_, "/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->body, "<!doctype html>");
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  auto js = LoadStaticFile(root_, "/app.js?v=3");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  auto css = LoadStaticFile(root_, "/sub/x.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->body, "a{}");
}

TEST_F(LoadStaticFileTest, RefusesEscapesHiddenFilesAndDirectories) {
  for (const char* target : {"/../etc/passwd", "/sub/../index.html", "/.secret", "/sub",
                             "relative", "/%2e%2e/x", "/missing.js", ""}) {
    EXPECT_FALSE(LoadStaticFile(root_, target)) << target;
  }
}

}  // namespace
}  // namespace switchyard::api
