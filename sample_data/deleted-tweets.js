window.YTD.deleted_tweets.part0 = [
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1895630132099392104"
          ],
          "editableUntil": "2025-03-01T00:20:17.254Z"
        }
      },
      "retweeted": false,
      "source": "Synthetic Web App",
      "entities": {
        "hashtags": [],
        "user_mentions": [],
        "urls": []
      },
      "favorite_count": "1011",
      "id_str": "1895630132099392104",
      "id": "1895630132099392104",
      "created_at": "Sat Mar 01 00:20:17 +0000 2025",
      "full_text": "שלום 📊 lagoon falcon cobalt 数据 tundra Привет quiet façade #signal prism",
      "lang": "he",
      "deleted_at": "Sat Mar 01 00:20:17 +0000 2025"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1895630142341173865"
          ],
          "editableUntil": "2025-03-01T00:20:19.696Z"
        }
      },
      "retweeted": false,
      "source": "Synthetic Web App",
      "entities": {
        "hashtags": [],
        "user_mentions": [],
        "urls": []
      },
      "favorite_count": "1954",
      "id_str": "1895630142341173865",
      "id": "1895630142341173865",
      "created_at": "Sat Mar 01 00:20:19 +0000 2025",
      "full_text": "thunder jalapeño 👩🏽‍💻 maple smörgåsbord naïve 📊 ✨ velvet #研究 jalapeño cobalt שלום שלום #data 🚀 café 東京 שלום 📊 #研究 ✨ שלום cobalt 🌊 שלום",
      "lang": "en",
      "deleted_at": "Sat Mar 01 00:20:19 +0000 2025"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1895630149509255786"
          ],
          "editableUntil": "2025-03-01T00:20:21.405Z"
        }
      },
      "retweeted": false,
      "source": "Synthetic Web App",
      "entities": {
        "hashtags": [],
        "user_mentions": [],
        "urls": []
      },
      "favorite_count": "2547",
      "id_str": "1895630149509255786",
      "id": "1895630149509255786",
      "created_at": "Sat Mar 01 00:20:21 +0000 2025",
      "full_text": "river #研究 lagoon #data #archive 🚀 falcon pixel lantern tundra river thunder cobalt prism harbor harbor falcon #研究 数据 velvet tundra velvet مرحبا naïve ember river prism quiet ember lantern 🌊 数据 🌊 🌊 #data",
      "lang": "und",
      "deleted_at": "Sat Mar 01 00:20:21 +0000 2025"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1895630164535038571"
          ],
          "editableUntil": "2025-03-01T00:20:24.987Z"
        }
      },
      "retweeted": false,
      "source": "Synthetic Web App",
      "entities": {
        "hashtags": [],
        "user_mentions": [],
        "urls": []
      },
      "favorite_count": "2550",
      "id_str": "1895630164535038571",
      "id": "1895630164535038571",
      "created_at": "Sat Mar 01 00:20:24 +0000 2025",
      "full_text": "数据 lagoon ember cobalt pixel 🚀 thunder quiet tundra #archive שלום orbit Привет #data 👩🏽‍💻 #研究 river Привет مرحبا cobalt lagoon #signal #data velvet 👩🏽‍💻 quartz orbit #data 🦉 🦉 falcon 🦉",
      "lang": "ar",
      "deleted_at": "Sat Mar 01 00:20:24 +0000 2025"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1895630173630177900"
          ],
          "editableUntil": "2025-03-01T00:20:27.155Z"
        }
      },
      "retweeted": false,
      "source": "Synthetic Web App",
      "entities": {
        "hashtags": [],
        "user_mentions": [],
        "urls": []
      },
      "favorite_count": "1681",
      "id_str": "1895630173630177900",
      "id": "1895630173630177900",
      "created_at": "Sat Mar 01 00:20:27 +0000 2025",
      "full_text": "🌊 prism harbor",
      "lang": "und",
      "deleted_at": "Sat Mar 01 00:20:27 +0000 2025"
    }
  }
]
