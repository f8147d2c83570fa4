//  version.h: the git revision the programs were built from (CMakeLists.txt
//  writes it into gen/version.c at configure time; "unknown" outside a git
//  checkout). CQ_VERSION is the release number.
#ifndef CQ_VERSION_H
#define CQ_VERSION_H

extern const char cq_git_rev[];

#endif
