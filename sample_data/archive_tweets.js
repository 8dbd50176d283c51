window.YTD.tweets.part0 = [
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627694118564166"
          ],
          "editableUntil" : "2025-03-01T00:10:35.994Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1274",
      "id_str" : "1895627694118564166",
      "id" : "1895627694118564166",
      "created_at" : "Sat Mar 01 00:10:35 +0000 2025",
      "full_text" : "façade lagoon 🦉 #signal 東京 orbit naïve #signal 🚀 #signal 📊 naïve meadow thunder orbit quiet pixel meadow cobalt river 👩🏽‍💻 café 📊 maple river",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627706565148561",
            "1895627706630246727"
          ],
          "editableUntil" : "2025-03-01T00:10:38.977Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1799",
      "id_str" : "1895627706630246727",
      "id" : "1895627706630246727",
      "created_at" : "Sat Mar 01 00:10:38 +0000 2025",
      "full_text" : "مرحبا 🚀 naïve orbit pixel 👩🏽‍💻 jalapeño river façade meadow #signal 🦉 quartz smörgåsbord pixel jalapeño 数据 maple meadow 🦉 Привет ✨ falcon smörgåsbord",
      "lang" : "ru"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627717017080136"
          ],
          "editableUntil" : "2025-03-01T00:10:41.453Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1227",
      "id_str" : "1895627717017080136",
      "id" : "1895627717017080136",
      "created_at" : "Sat Mar 01 00:10:41 +0000 2025",
      "full_text" : "ember #data #archive falcon 🌊 東京 quiet 🌊 lantern tundra velvet quartz velvet שלום harbor",
      "lang" : "ja",
      "in_reply_to_status_id_str" : "1622167762158557475",
      "in_reply_to_status_id" : "1622167762158557475",
      "in_reply_to_user_id_str" : "575446032185381002"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627725494415689"
          ],
          "editableUntil" : "2025-03-01T00:10:43.474Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "2239",
      "id_str" : "1895627725494415689",
      "id" : "1895627725494415689",
      "created_at" : "Sat Mar 01 00:10:43 +0000 2025",
      "full_text" : "café 📊 pixel smörgåsbord naïve 数据 quartz smörgåsbord quartz cobalt smörgåsbord #signal lagoon #data pixel 🚀 façade river pixel cobalt مرحبا pixel smörgåsbord #signal 数据 pixel ember مرحبا 🌊 smörgåsbord café 👩🏽‍💻",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627727337382218"
          ],
          "editableUntil" : "2025-03-01T00:10:43.914Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "2689",
      "id_str" : "1895627727337382218",
      "id" : "1895627727337382218",
      "created_at" : "Sat Mar 01 00:10:43 +0000 2025",
      "full_text" : "pixel 数据 lagoon Привет مرحبا prism #研究 smörgåsbord maple river lagoon ember #signal #archive smörgåsbord 🦉 ember meadow quiet 🌊",
      "lang" : "ar"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627729027854667"
          ],
          "editableUntil" : "2025-03-01T00:10:44.317Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1191",
      "id_str" : "1895627729027854667",
      "id" : "1895627729027854667",
      "created_at" : "Sat Mar 01 00:10:44 +0000 2025",
      "full_text" : "#研究 Привет velvet orbit #signal café مرحبا #研究 façade שלום 🦉 quartz façade café meadow pixel maple ember 🦉 cobalt orbit quartz harbor 👩🏽‍💻 café 📊 #archive 👩🏽‍💻 orbit meadow 🚀 harbor مرحبا",
      "lang" : "de"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627739959243084"
          ],
          "editableUntil" : "2025-03-01T00:10:46.923Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1000",
      "id_str" : "1895627739959243084",
      "id" : "1895627739959243084",
      "created_at" : "Sat Mar 01 00:10:46 +0000 2025",
      "full_text" : "prism ✨ 🌊 cobalt quartz river ember 数据 quartz 🌊 Привет 🌊 ✨ naïve مرحبا harbor #研究 lantern",
      "lang" : "und"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627742008222029"
          ],
          "editableUntil" : "2025-03-01T00:10:47.412Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "520",
      "id_str" : "1895627742008222029",
      "id" : "1895627742008222029",
      "created_at" : "Sat Mar 01 00:10:47 +0000 2025",
      "full_text" : "RT @synth_tundra_170: 🚀 Привет lantern #archive cobalt meadow 🚀 #data prism مرحبا ✨ #archive orbit",
      "lang" : "ru"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627744764547406"
          ],
          "editableUntil" : "2025-03-01T00:10:48.069Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1779",
      "id_str" : "1895627744764547406",
      "id" : "1895627744764547406",
      "created_at" : "Sat Mar 01 00:10:48 +0000 2025",
      "full_text" : "river Привет 東京 Привет naïve smörgåsbord #研究 harbor lantern ✨ harbor 🦉 maple Привет שלום #data #archive orbit 🚀 ✨ שלום 🦉 café pixel café jalapeño 🦉 Привет quartz velvet 東京 orbit maple 東京 #archive #研究 maple",
      "lang" : "de",
      "in_reply_to_status_id_str" : "1895626091427594377",
      "in_reply_to_status_id" : "1895626091427594377",
      "in_reply_to_user_id_str" : "1174835561887649846"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627746206949711"
          ],
          "editableUntil" : "2025-03-01T00:10:48.413Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "2013",
      "id_str" : "1895627746206949711",
      "id" : "1895627746206949711",
      "created_at" : "Sat Mar 01 00:10:48 +0000 2025",
      "full_text" : "🦉 quartz cobalt lantern velvet 🚀 velvet maple jalapeño 数据 orbit 東京 #archive falcon שלום #data quiet 📊 orbit",
      "lang" : "de"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627749944652112"
          ],
          "editableUntil" : "2025-03-01T00:10:49.304Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1278",
      "id_str" : "1895627749944652112",
      "id" : "1895627749944652112",
      "created_at" : "Sat Mar 01 00:10:49 +0000 2025",
      "full_text" : "harbor 東京 مرحبا cobalt שלום pixel 🦉 #archive",
      "lang" : "de"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627753690538849",
            "1895627754729333073"
          ],
          "editableUntil" : "2025-03-01T00:10:50.445Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "2253",
      "id_str" : "1895627754729333073",
      "id" : "1895627754729333073",
      "created_at" : "Sat Mar 01 00:10:50 +0000 2025",
      "full_text" : "smörgåsbord #研究 数据 velvet lantern river 🦉 🚀 📊 ember #研究 maple #archive harbor Привет prism 👩🏽‍💻 مرحبا 数据 café #archive quartz velvet #signal 東京",
      "lang" : "und"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627769817895250"
          ],
          "editableUntil" : "2025-03-01T00:10:54.042Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "283",
      "id_str" : "1895627769817895250",
      "id" : "1895627769817895250",
      "created_at" : "Sat Mar 01 00:10:54 +0000 2025",
      "full_text" : "🌊 meadow lantern 🦉 東京 thunder lagoon naïve velvet #archive orbit #data 数据 jalapeño #signal 🚀 orbit jalapeño 🌊 数据 prism lantern jalapeño",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627776313246035"
          ],
          "editableUntil" : "2025-03-01T00:10:55.591Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "2846",
      "id_str" : "1895627776313246035",
      "id" : "1895627776313246035",
      "created_at" : "Sat Mar 01 00:10:55 +0000 2025",
      "full_text" : "pixel lagoon river שלום #data meadow #archive ember river #archive 📊 🌊 #signal 👩🏽‍💻 harbor Привет naïve café lantern façade meadow velvet façade 🌊 pixel falcon ✨ orbit lagoon #data façade",
      "lang" : "fr"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627792208314708"
          ],
          "editableUntil" : "2025-03-01T00:10:59.380Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "782",
      "id_str" : "1895627792208314708",
      "id" : "1895627792208314708",
      "created_at" : "Sat Mar 01 00:10:59 +0000 2025",
      "full_text" : "🌊 Привет orbit jalapeño river 数据 ✨ river #signal river falcon Привет tundra 👩🏽‍💻 tundra thunder 🚀 مرحبا cobalt meadow lagoon #研究 lantern falcon quartz",
      "lang" : "de"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627795418751317"
          ],
          "editableUntil" : "2025-03-01T00:11:00.146Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "2457",
      "id_str" : "1895627795418751317",
      "id" : "1895627795418751317",
      "created_at" : "Sat Mar 01 00:11:00 +0000 2025",
      "full_text" : "lantern thunder jalapeño ✨ jalapeño smörgåsbord ember river مرحبا harbor שלום naïve velvet quartz #data café prism falcon velvet velvet",
      "lang" : "fr"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627796149539158"
          ],
          "editableUntil" : "2025-03-01T00:11:00.320Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "670",
      "id_str" : "1895627796149539158",
      "id" : "1895627796149539158",
      "created_at" : "Sat Mar 01 00:11:00 +0000 2025",
      "full_text" : "🌊 pixel quartz velvet smörgåsbord שלום naïve",
      "lang" : "ar"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627811049779543"
          ],
          "editableUntil" : "2025-03-01T00:11:03.872Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "2069",
      "id_str" : "1895627811049779543",
      "id" : "1895627811049779543",
      "created_at" : "Sat Mar 01 00:11:03 +0000 2025",
      "full_text" : "Привет river smörgåsbord naïve falcon lagoon #data",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627812155519320"
          ],
          "editableUntil" : "2025-03-01T00:11:04.136Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1169",
      "id_str" : "1895627812155519320",
      "id" : "1895627812155519320",
      "created_at" : "Sat Mar 01 00:11:04 +0000 2025",
      "full_text" : "quiet meadow #signal façade ✨ quiet jalapeño Привет smörgåsbord café quartz pixel lagoon",
      "lang" : "ru"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627825166557529"
          ],
          "editableUntil" : "2025-03-01T00:11:07.238Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1630",
      "id_str" : "1895627825166557529",
      "id" : "1895627825166557529",
      "created_at" : "Sat Mar 01 00:11:07 +0000 2025",
      "full_text" : "#signal 🚀 Привет façade lantern orbit 🌊 naïve 東京 cobalt orbit שלום lagoon 👩🏽‍💻 maple #signal مرحبا lantern jalapeño #archive naïve jalapeño river 東京 naïve meadow",
      "lang" : "ar"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627840941560154"
          ],
          "editableUntil" : "2025-03-01T00:11:10.999Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1225",
      "id_str" : "1895627840941560154",
      "id" : "1895627840941560154",
      "created_at" : "Sat Mar 01 00:11:10 +0000 2025",
      "full_text" : "quiet مرحبا café maple orbit pixel #研究 🌊 smörgåsbord 🚀 lantern pixel 🦉 naïve quartz #archive 東京 lagoon café jalapeño lantern façade quartz maple orbit harbor smörgåsbord שלום naïve velvet #signal",
      "lang" : "de"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627842715976027"
          ],
          "editableUntil" : "2025-03-01T00:11:11.422Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "383",
      "id_str" : "1895627842715976027",
      "id" : "1895627842715976027",
      "created_at" : "Sat Mar 01 00:11:11 +0000 2025",
      "full_text" : "naïve 東京 orbit lagoon pixel harbor #data orbit #archive שלום 👩🏽‍💻 tundra ✨ שלום ember velvet 👩🏽‍💻 مرحبا 数据 orbit quiet 👩🏽‍💻",
      "lang" : "es"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627844633407836"
          ],
          "editableUntil" : "2025-03-01T00:11:11.879Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "980",
      "id_str" : "1895627844633407836",
      "id" : "1895627844633407836",
      "created_at" : "Sat Mar 01 00:11:11 +0000 2025",
      "full_text" : "👩🏽‍💻 #研究 שלום lagoon pixel #研究 ✨ jalapeño quiet Привет #研究 👩🏽‍💻 meadow façade river ember Привет Привет quiet falcon quiet orbit velvet 👩🏽‍💻 meadow 東京 Привет 🚀 cobalt Привет jalapeño 東京 🚀 falcon harbor tundra",
      "lang" : "es"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627855183135069"
          ],
          "editableUntil" : "2025-03-01T00:11:14.395Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "2599",
      "id_str" : "1895627855183135069",
      "id" : "1895627855183135069",
      "created_at" : "Sat Mar 01 00:11:14 +0000 2025",
      "full_text" : "orbit velvet thunder façade lantern ✨",
      "lang" : "he"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627856729330014"
          ],
          "editableUntil" : "2025-03-01T00:11:14.763Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1581",
      "id_str" : "1895627856729330014",
      "id" : "1895627856729330014",
      "created_at" : "Sat Mar 01 00:11:14 +0000 2025",
      "full_text" : "quartz tundra 👩🏽‍💻 🌊 שלום שלום lantern cobalt 🌊 falcon tundra orbit #archive cobalt orbit quiet #data 数据 東京 smörgåsbord 🚀 naïve 🦉 jalapeño 🚀 東京 naïve שלום ember quiet #研究 lantern #data 🌊 falcon lagoon quiet 🦉 pixel",
      "lang" : "es"
    }
  }
]
