// Under the sanitizer build (-DWFS_FUZZ=ON) UBSan is compiled in recovering
// mode, which only prints; make any undefined behaviour in crypto_test fail
// it. Harmless in builds without UBSan.
extern "C" const char* __ubsan_default_options();
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1";
}
