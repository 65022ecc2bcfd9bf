/*
 * language.c owns the built-in names of languages in their own words, for
 * the pages' lists: the languages a German job centre or immigration
 * office hears most, by primary tag. The config's language_names comes
 * first (config_language_name); a tag without either shows as itself.
 * Pure: no I/O, no locale.
 */
#include <stddef.h>
#include <string.h>

#include "language.h"

static const struct {
	const char *tag, *name;
} endonyms[] = {
	{ "am", "አማርኛ" },
	{ "ar", "العربية" },
	{ "az", "Azərbaycan" },
	{ "bg", "Български" },
	{ "bn", "বাংলা" },
	{ "bs", "Bosanski" },
	{ "ckb", "کوردی" },
	{ "cs", "Čeština" },
	{ "da", "Dansk" },
	{ "de", "Deutsch" },
	{ "el", "Ελληνικά" },
	{ "en", "English" },
	{ "es", "Español" },
	{ "et", "Eesti" },
	{ "fa", "فارسی" },
	{ "fi", "Suomi" },
	{ "fr", "Français" },
	{ "he", "עברית" },
	{ "hi", "हिन्दी" },
	{ "hr", "Hrvatski" },
	{ "hu", "Magyar" },
	{ "hy", "Հայերեն" },
	{ "it", "Italiano" },
	{ "ja", "日本語" },
	{ "ka", "ქართული" },
	{ "kk", "Қазақ тілі" },
	{ "ko", "한국어" },
	{ "ku", "Kurdî" },
	{ "lt", "Lietuvių" },
	{ "lv", "Latviešu" },
	{ "mk", "Македонски" },
	{ "nl", "Nederlands" },
	{ "no", "Norsk" },
	{ "pl", "Polski" },
	{ "prs", "دری" },
	{ "ps", "پښتو" },
	{ "pt", "Português" },
	{ "ro", "Română" },
	{ "ru", "Русский" },
	{ "sk", "Slovenčina" },
	{ "sl", "Slovenščina" },
	{ "so", "Soomaali" },
	{ "sq", "Shqip" },
	{ "sr", "Српски" },
	{ "sv", "Svenska" },
	{ "sw", "Kiswahili" },
	{ "ti", "ትግርኛ" },
	{ "tr", "Türkçe" },
	{ "uk", "Українська" },
	{ "ur", "اردو" },
	{ "uz", "Oʻzbekcha" },
	{ "vi", "Tiếng Việt" },
	{ "zh", "中文" },
};

const char *
language_endonym(const char *primary)
{
	size_t i;

	for (i = 0; i < sizeof(endonyms) / sizeof(endonyms[0]); i++)
		if (!strcmp(endonyms[i].tag, primary))
			return endonyms[i].name;
	return NULL;
}
