#ifndef SWITCHYARD_TESTS_API_SERVER_CONFIG_TEST_UTIL_H_
#define SWITCHYARD_TESTS_API_SERVER_CONFIG_TEST_UTIL_H_

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "api/server_config.h"

// What server_config_test.cc and server_config_validation_test.cc share.
namespace switchyard::api::testing {

// tests/fixtures/../../deploy: the file operators are told to copy.
inline const std::string kShippedConfig =
    std::string(SWITCHYARD_FIXTURES_DIR) + "/../../deploy/switchyard.textproto";

inline std::string Message(const absl::Status& status) { return std::string(status.message()); }

inline const std::string kStrongSecret = "0123456789abcdef0123456789abcdef";  // 32 bytes
inline constexpr char kKeyRequired[] =
    "api_keys: at least one key is required outside dev mode (use --dev for development)";

// The defaults plus the one thing production adds to them: a key with a strong secret.
inline ServerConfig ProductionConfig() {
  ServerConfig config = DefaultServerConfig();
  auto* key = config.add_api_keys();
  key->set_key("prod");
  key->set_secret(kStrongSecret);
  return config;
}

// A scratch directory of this process, removed with the object.
class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() /
              ("switchyard-config-test-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name, const std::string& contents) const {
    const auto file = path_ / name;
    std::ofstream(file) << contents;
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace switchyard::api::testing

#endif  // SWITCHYARD_TESTS_API_SERVER_CONFIG_TEST_UTIL_H_
