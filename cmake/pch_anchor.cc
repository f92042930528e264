// The one source of the precompiled-header donor targets (cmake/build_speed.cmake).
