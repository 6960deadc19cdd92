/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The form in which full names are compared: NFKC, case folded, "ё" as "е" (however it was
 * written: composed, capital, or "е" + U+0308), runs of white space as one space and none at
 * either end. Two spellings of one name give the same string. -EILSEQ for invalid UTF-8.
 */
int full_name_fold(const char *name, char **ret);
